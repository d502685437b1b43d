import { describe, expect, expectTypeOf, it } from 'vitest';
import { isSentBy, Op, OpRoute, QueryKind, type MessageOf, type QueryArgs, type QueryResult, type Role, type RoutedOp } from '@gateworker/protocol';

// Receiver tables are typed from OpRoute and QuerySpec. These checks run at compile time
// (`tsc -p tsconfig.test.json`, part of `npm test`): an `@ts-expect-error` that stops being an
// error fails the build, so "a missing handler does not compile" is itself tested.

type Handlers<O extends Op> = { [K in O]: (message: MessageOf<K>) => void };
const ignore = (): void => {};

/** The ops OpRoute routes from a role of `from` to a role of `to`, computed at run time. */
function routed(from: readonly Role[], to: readonly Role[]): Op[] {
  return Object.values(Op).filter((op) => {
    const route = OpRoute[op] as { from: readonly Role[]; to: readonly Role[]; link?: true };
    return route.link !== true && route.from.some((r) => from.includes(r)) && route.to.some((r) => to.includes(r));
  });
}

describe('OpRoute', () => {
  it('gives each receiver the message set it handles', () => {
    expectTypeOf<RoutedOp<'gateway', 'worker' | 'client'>>().toEqualTypeOf<
      | typeof Op.Error
      | typeof Op.ClientConnect
      | typeof Op.ClientMessage
      | typeof Op.ClientClose
      | typeof Op.ClientPoison
      | typeof Op.QueryReply
      | typeof Op.DrainAck
      | typeof Op.StreamAck
    >();
    expectTypeOf<RoutedOp<'register', 'gateway' | 'worker' | 'client'>>().toEqualTypeOf<
      typeof Op.Error | typeof Op.GatewayList | typeof Op.GatewayUp | typeof Op.GatewayDown | typeof Op.StatusReply
    >();
    expectTypeOf<RoutedOp<'gateway' | 'worker' | 'client', 'register'>>().toEqualTypeOf<
      typeof Op.Error | typeof Op.Announce | typeof Op.GatewayStats | typeof Op.Subscribe | typeof Op.WorkerStats | typeof Op.StatusQuery
    >();
    // The same sets at run time (what the types are derived from).
    expect(routed(['gateway'], ['worker', 'client']).sort()).toEqual(
      [Op.Error, Op.ClientConnect, Op.ClientMessage, Op.ClientClose, Op.ClientPoison, Op.QueryReply, Op.DrainAck, Op.StreamAck].sort(),
    );
    expect(routed(['worker', 'client'], ['gateway'])).not.toContain(Op.Hello);
    expect(routed(['worker', 'client'], ['gateway'])).toContain(Op.StreamResume);
  });

  it('makes a missing handler or a wrong payload type a compile error', () => {
    const complete: Handlers<RoutedOp<'register', 'worker'>> = {
      [Op.Error]: ignore,
      [Op.GatewayList]: (m) => m.gateways.length,
      [Op.GatewayUp]: ignore,
      [Op.GatewayDown]: ignore,
      [Op.StatusReply]: ignore,
    };
    // @ts-expect-error StatusReply has no handler
    const missing: Handlers<RoutedOp<'register', 'worker'>> = {
      [Op.Error]: ignore,
      [Op.GatewayList]: ignore,
      [Op.GatewayUp]: ignore,
      [Op.GatewayDown]: ignore,
    };
    const wrongPayload: Handlers<RoutedOp<'register', 'worker'>> = {
      ...complete,
      // @ts-expect-error GatewayUp carries a gateway, not a gatewayId
      [Op.GatewayUp]: (m: MessageOf<typeof Op.GatewayDown>) => m.gatewayId.length,
    };
    expect([complete, missing, wrongPayload]).toHaveLength(3);
  });

  it('types query handlers from QuerySpec', () => {
    expectTypeOf<QueryArgs<typeof QueryKind.IsOnline>>().toEqualTypeOf<{ client: number }>();
    expectTypeOf<QueryResult<typeof QueryKind.ClientCount>>().toEqualTypeOf<number>();
    // @ts-expect-error ClientCount answers a number
    const wrong: (args: QueryArgs<typeof QueryKind.ClientCount>) => QueryResult<typeof QueryKind.ClientCount> = () => 'many';
    expect(typeof wrong).toBe('function');
  });

  it('says who may send what, for the receivers that check the sender role', () => {
    expect(isSentBy(Op.Ack, 'worker')).toBe(true);
    expect(isSentBy(Op.Ack, 'client')).toBe(false);
    expect(isSentBy(Op.Query, 'client')).toBe(true);
    expect(isSentBy(Op.Announce, 'worker')).toBe(false);
    expect(isSentBy(Op.Subscribe, 'gateway')).toBe(false);
    expect(isSentBy(Op.Error, 'register')).toBe(true);
  });

  it('answers from its lookup table exactly what OpRoute declares, for every opcode and role', () => {
    const roles: Role[] = ['register', 'gateway', 'worker', 'client'];
    for (const op of Object.values(Op)) {
      for (const role of roles) expect(isSentBy(op, role), `${op} from ${role}`).toBe((OpRoute[op].from as readonly Role[]).includes(role));
    }
  });
});
