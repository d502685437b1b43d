/**
 * Opcodes of the internal protocol. Numbers are part of the wire format: never renumber,
 * never reuse a retired number (comment it out instead).
 *
 * Ranges: 1–9 handshake and link control, 10–29 register, 30–39 gateway → worker client events,
 * 40–49 worker → gateway hot-path sends, 50–69 worker → gateway commands and queries,
 * 70–79 worker ⇄ gateway flow control, 80–89 worker ⇄ gateway command streams.
 */
export const Op = {
  // Handshake and link control (any link)
  Hello: 1,
  Auth: 2,
  AuthOk: 3,
  Error: 4,
  Ping: 5,
  Pong: 6,

  // Register links
  Announce: 10,
  GatewayStats: 11,
  Subscribe: 12,
  GatewayList: 13,
  GatewayUp: 14,
  GatewayDown: 15,
  WorkerStats: 16,
  StatusQuery: 17,
  StatusReply: 18,

  // Gateway → worker: client events (fixed binary header)
  ClientConnect: 30,
  ClientMessage: 31,
  ClientClose: 32,
  /** An event quarantined after worker.maxDeliveries worker deaths, for the handler's onPoison. */
  ClientPoison: 33,

  // Worker → gateway: sends (fixed binary header + raw payload)
  SendToClient: 40,
  SendToClients: 41,
  SendToAll: 42,
  SendToUids: 43,
  SendToGroups: 44,

  // Worker → gateway: commands (msgpack)
  BindUid: 50,
  UnbindUid: 51,
  JoinGroup: 52,
  LeaveGroup: 53,
  Ungroup: 54,
  CloseClient: 55,
  SetSession: 56,
  UpdateSession: 57,
  Query: 60,
  QueryReply: 61,

  // Worker ⇄ gateway flow control
  Ack: 70,
  WorkerReady: 71,
  Drain: 72,
  DrainAck: 73,
  /** Per-event acknowledgements: ranges of finished sequence numbers (replaces the cumulative Ack). */
  AckRanges: 74,

  // Worker / GatewayClient ⇄ gateway: command streams (re-sent after a reconnect, applied once)
  StreamResume: 80,
  StreamAck: 81,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** The roles a process plays on internal links: accepting sides (register, gateway) and connecting sides (gateway, worker, client). */
export type Role = 'register' | 'gateway' | 'worker' | 'client';

/**
 * Who sends an opcode to whom. `link: true` marks the messages the link layer consumes itself
 * (handshake, heartbeat): they never reach a receiver table. `stream: true` marks the commands a
 * sender's command stream carries to a gateway (numbered by position, re-sent after a reconnect,
 * applied once; see `isStreamOp`).
 */
export interface Route {
  readonly from: readonly Role[];
  readonly to: readonly Role[];
  readonly link?: true;
  readonly stream?: true;
}

const ANY = ['register', 'gateway', 'worker', 'client'] as const;
const ACCEPTING = ['register', 'gateway'] as const;
const CONNECTING = ['gateway', 'worker', 'client'] as const;
const SENDERS = ['worker', 'client'] as const;

/**
 * The direction of every opcode, declared once: receiver tables are typed from it (`RoutedOp`),
 * so a missing handler is a compile error, and `docs/protocol.md` is checked against it
 * (packages/protocol/test/docs-ops.test.ts). A new opcode without a route does not compile.
 * "client" is a GatewayClient: it sends commands and queries, and never receives client events.
 */
export const OpRoute = {
  [Op.Hello]: { from: ACCEPTING, to: CONNECTING, link: true },
  [Op.Auth]: { from: CONNECTING, to: ACCEPTING, link: true },
  [Op.AuthOk]: { from: ACCEPTING, to: CONNECTING, link: true },
  [Op.Error]: { from: ANY, to: ANY },
  [Op.Ping]: { from: ANY, to: ANY, link: true },
  [Op.Pong]: { from: ANY, to: ANY, link: true },

  [Op.Announce]: { from: ['gateway'], to: ['register'] },
  [Op.GatewayStats]: { from: ['gateway'], to: ['register'] },
  [Op.Subscribe]: { from: SENDERS, to: ['register'] },
  [Op.GatewayList]: { from: ['register'], to: SENDERS },
  [Op.GatewayUp]: { from: ['register'], to: SENDERS },
  [Op.GatewayDown]: { from: ['register'], to: SENDERS },
  [Op.WorkerStats]: { from: ['worker'], to: ['register'] },
  [Op.StatusQuery]: { from: CONNECTING, to: ['register'] },
  [Op.StatusReply]: { from: ['register'], to: CONNECTING },

  [Op.ClientConnect]: { from: ['gateway'], to: ['worker'] },
  [Op.ClientMessage]: { from: ['gateway'], to: ['worker'] },
  [Op.ClientClose]: { from: ['gateway'], to: ['worker'] },
  [Op.ClientPoison]: { from: ['gateway'], to: ['worker'] },

  [Op.SendToClient]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.SendToClients]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.SendToAll]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.SendToUids]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.SendToGroups]: { from: SENDERS, to: ['gateway'], stream: true },

  [Op.BindUid]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.UnbindUid]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.JoinGroup]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.LeaveGroup]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.Ungroup]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.CloseClient]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.SetSession]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.UpdateSession]: { from: SENDERS, to: ['gateway'], stream: true },
  [Op.Query]: { from: SENDERS, to: ['gateway'] },
  [Op.QueryReply]: { from: ['gateway'], to: SENDERS },

  [Op.Ack]: { from: ['worker'], to: ['gateway'] },
  [Op.WorkerReady]: { from: ['worker'], to: ['gateway'] },
  [Op.Drain]: { from: ['worker'], to: ['gateway'] },
  [Op.DrainAck]: { from: ['gateway'], to: ['worker'] },
  [Op.AckRanges]: { from: ['worker'], to: ['gateway'] },

  [Op.StreamResume]: { from: SENDERS, to: ['gateway'] },
  [Op.StreamAck]: { from: ['gateway'], to: SENDERS },
} as const satisfies { readonly [O in Op]: Route };

type Routes = typeof OpRoute;
/** True when the role list names at least one role of `R`. */
type Names<List extends readonly Role[], R extends Role> = [Extract<List[number], R>] extends [never] ? false : true;

/**
 * The opcodes a role of `From` sends to a role of `To` once the link is up (handshake and
 * heartbeat excluded). Receiver tables are `{ [O in RoutedOp<From, To>]: handler of MessageOf<O> }`.
 */
export type RoutedOp<From extends Role, To extends Role> = {
  [O in Op]: Routes[O] extends { readonly link: true }
    ? never
    : Names<Routes[O]['from'], From> extends true
      ? Names<Routes[O]['to'], To> extends true
        ? O
        : never
      : never;
}[Op];

/** Whether `role` may send `op` (a receiver refuses anything else). */
export function isSentBy(op: Op, role: Role): boolean {
  return ((senderBits[op] ?? 0) & ROLE_BIT[role]) !== 0;
}

/** One bit per role; `senderBits[op]` holds the bits of the roles that send `op` (a lookup: it runs for every inbound command). */
const ROLE_BIT: Readonly<Record<Role, number>> = { register: 1, gateway: 2, worker: 4, client: 8 };
const senderBits = new Uint8Array(256);
for (const [op, route] of Object.entries(OpRoute)) {
  for (const role of route.from) senderBits[Number(op)] = (senderBits[Number(op)] ?? 0) | ROLE_BIT[role];
}

const names = new Map<number, string>(Object.entries(Op).map(([name, op]) => [op, name]));

/** Human name of an opcode, for logs and errors. */
export function opName(op: number): string {
  return names.get(op) ?? `op#${op}`;
}

export function isOp(op: number): op is Op {
  return names.has(op);
}
