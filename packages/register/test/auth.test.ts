import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessage, ErrorCode, Op, ProtocolError, resolveLinkOptions, WireErrorCode } from '@gateworker/protocol';
import { connectLink } from '@gateworker/protocol/node';
import { RegisterErrorCode, type RegisterError } from '../src/index.js';
import { gatewayInfo, Harness, hostPort, rawSocket, closedWithin, SECRET, workerInfo } from './helpers.js';
import { nextEvent, within } from '../../../test/helpers/wait.js';

const h = new Harness();
afterEach(() => h.closeAll());

describe('authentication', () => {
  it('a wrong secret: connectLink rejects with GW_ERR_AUTH_FAILED and the register logs a warning naming the remote', async () => {
    const { server, address, logger } = await h.server();
    const attempt = connectLink({ ...hostPort(address), secret: 'wrong', role: 'gateway', nodeId: 'intruder' });
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.AuthFailed });
    const line = await logger.waitFor((l) => l.level === 'warn' && l.obj['code'] === ErrorCode.AuthFailed);
    expect(line.obj['remote']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.status().gateways).toEqual([]);
  });

  it('a RegisterClient with a wrong secret logs a clear error and ready() rejects naming the register', async () => {
    const { address, logger: serverLog } = await h.server();
    const { client, logger } = h.client({ registers: [address], secret: 'wrong', role: 'worker', worker: workerInfo('w1') });
    const line = await logger.waitFor((l) => l.level === 'error' && l.obj['code'] === ErrorCode.AuthFailed);
    expect(line.msg).toContain(address);
    expect(line.msg).toContain('secret');
    await serverLog.waitFor((l) => l.level === 'warn' && l.obj['code'] === ErrorCode.AuthFailed);

    const err = (await client.ready(300).catch((e: unknown) => e)) as RegisterError;
    expect(err.code).toBe(RegisterErrorCode.NotReady);
    expect(err.message).toContain(address);
    expect(err.message).toContain(ErrorCode.AuthFailed);
    expect(err.registerErrors.get(address)).toMatchObject({ code: ErrorCode.AuthFailed });
    expect(err.cause).toBeInstanceOf(ProtocolError);
  });

  it('repeated failures of the same kind are logged at error level once', async () => {
    const { address, logger: serverLog } = await h.server();
    const { logger } = h.client({ registers: [address], secret: 'wrong' });
    // Several refused attempts on the register side, each logged there.
    await serverLog.waitFor(() => serverLog.lines.filter((x) => x.level === 'warn' && x.obj['code'] === ErrorCode.AuthFailed).length >= 3);
    await logger.waitFor((l) => l.level === 'debug' && l.obj['code'] === ErrorCode.AuthFailed);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('nothing is accepted before the handshake: an Announce sent first closes the connection', async () => {
    const { server, address, logger } = await h.server();
    const socket = await rawSocket(h, address);
    socket.write(encodeMessage({ op: Op.Announce, gateway: gatewayInfo('gw0000sneaky') }));
    await closedWithin(socket);
    await logger.waitFor((l) => l.level === 'warn' && l.obj['code'] === ErrorCode.Unexpected);
    expect(server.status().gateways).toEqual([]);
  });

  it('an Announce from a worker is refused with an Error frame and the link is closed', async () => {
    const { server, address } = await h.server();
    const { link } = await connectLink({ ...hostPort(address), secret: SECRET, role: 'worker', nodeId: 'w' });
    h.add(() => link.destroy());
    const error = new Promise<{ code: number; message: string }>((resolve) => {
      link.onMessage = (m) => {
        if (m.op === Op.Error) resolve(m);
      };
    });
    link.send({ op: Op.Announce, gateway: gatewayInfo('gw00000000ww') });
    expect((await within(error, 3_000, 'Error frame')).code).toBe(WireErrorCode.RoleRefused);
    await within(link.closed, 3_000, 'link close');
    expect(server.status().gateways).toEqual([]);
  });

  it('a Subscribe from a gateway is refused with an Error frame and the link is closed', async () => {
    const { address } = await h.server();
    const { link } = await connectLink({ ...hostPort(address), secret: SECRET, role: 'gateway', nodeId: 'g' });
    h.add(() => link.destroy());
    const error = new Promise<{ code: number }>((resolve) => {
      link.onMessage = (m) => {
        if (m.op === Op.Error) resolve(m);
      };
    });
    link.send({ op: Op.Subscribe, worker: null });
    expect((await within(error, 3_000, 'Error frame')).code).toBe(WireErrorCode.RoleRefused);
    await within(link.closed, 3_000, 'link close');
  });

  it('a client may not report a worker', async () => {
    const { server, address } = await h.server();
    const { link } = await connectLink({ ...hostPort(address), secret: SECRET, role: 'client', nodeId: 'c' });
    h.add(() => link.destroy());
    link.send({ op: Op.Subscribe, worker: workerInfo('fake') });
    await within(link.closed, 3_000, 'link close');
    expect(server.status().workers).toEqual([]);
  });

  it('the same gatewayId from another process is refused; the first keeps it', async () => {
    const { server, address } = await h.server();
    const { client: sub } = h.client({ registers: [address], role: 'client' });
    await sub.ready();
    const g = gatewayInfo('gw00000000dd');
    const { client: first } = h.client({ registers: [address], role: 'gateway', gateway: g });
    await first.ready();
    const { link } = await connectLink({ ...hostPort(address), secret: SECRET, role: 'gateway', nodeId: 'other' });
    h.add(() => link.destroy());
    link.send({ op: Op.Announce, gateway: { ...g, pid: g.pid + 1 } });
    await within(link.closed, 3_000, 'link close');
    expect(server.status().gateways).toEqual([g]);
    expect(sub.gateways().get(g.gatewayId)).toEqual(g);
  });

  it('the same gateway process reconnecting: the newest link wins and the old link is closed', async () => {
    const { server, address } = await h.server();
    const { client: sub } = h.client({ registers: [address], role: 'client' });
    await sub.ready();
    const g = gatewayInfo('gw00000000nn');
    const old = await connectLink({
      ...hostPort(address),
      secret: SECRET,
      role: 'gateway',
      nodeId: 'g',
      link: resolveLinkOptions({ pingIntervalMs: 0 }),
    });
    h.add(() => old.link.destroy());
    const up = nextEvent(sub, 'gateway-up', () => true, 3_000);
    old.link.send({ op: Op.Announce, gateway: g });
    await up;

    const fresh = await connectLink({ ...hostPort(address), secret: SECRET, role: 'gateway', nodeId: 'g' });
    h.add(() => fresh.link.destroy());
    let downs = 0;
    sub.on('gateway-down', () => downs++);
    fresh.link.send({ op: Op.Announce, gateway: g });
    await within(old.link.closed, 3_000, 'old link closed by the register');
    // The old link's departure does not take the gateway down: the newer link owns it.
    expect((await sub.status()).gateways.map((x) => x.gatewayId)).toEqual([g.gatewayId]);
    expect(server.status().gateways).toHaveLength(1);
    expect(downs).toBe(0);
  });

  it('a RegisterClient refused after the handshake logs the reason and reports it on register-down', async () => {
    const { address } = await h.server();
    const g = gatewayInfo('gw00000000cf');
    const { client: first } = h.client({ registers: [address], role: 'gateway', gateway: g });
    await first.ready();
    // A misconfigured second process claiming the same gateway id.
    const { client: second, logger } = h.client({ registers: [address], role: 'gateway', gateway: { ...g, pid: g.pid + 1 } });
    const [, error] = await nextEvent<[string, Error | null]>(second, 'register-down', () => true, 3_000);
    expect(error).toMatchObject({ code: ErrorCode.Unexpected });
    expect(error?.message).toContain('already announced by another process');
    await logger.waitFor((l) => l.level === 'error' && l.msg.includes(`register ${address} refused us`));
  });
});
