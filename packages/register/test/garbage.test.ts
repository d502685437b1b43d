import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@gateworker/protocol';
import { connectLink } from '@gateworker/protocol/node';
import { gatewayInfo, Harness, hostPort, rawSocket, closedWithin, SECRET } from './helpers.js';
import { nextEvent, within } from '../../../test/helpers/wait.js';

const h = new Harness();
afterEach(() => h.closeAll());

describe('garbage input', () => {
  it('garbage before the handshake drops that connection only; others keep being served', async () => {
    const { address, logger } = await h.server();
    const { client: sub } = h.client({ registers: [address], role: 'client' });
    await sub.ready();

    const http = await rawSocket(h, address);
    http.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const noise = await rawSocket(h, address);
    noise.write(randomBytes(4096));
    await Promise.all([closedWithin(http), closedWithin(noise)]);
    await logger.waitFor((l) => l.level === 'warn' && l.obj['code'] === ErrorCode.FrameTooLarge);

    const up = nextEvent(sub, 'gateway-up', () => true, 3_000);
    h.client({ registers: [address], role: 'gateway', gateway: gatewayInfo('gw000000good') });
    expect((await up)[0]).toMatchObject({ gatewayId: 'gw000000good' });
  });

  it('a malformed frame after the handshake closes that link with a log line; a gateway on it goes down', async () => {
    const { address, logger } = await h.server();
    const { client: sub } = h.client({ registers: [address], role: 'client' });
    await sub.ready();
    const { client: gw } = h.client({ registers: [address], role: 'gateway', gateway: gatewayInfo('gw000000keep') });
    await gw.ready();

    const { link } = await connectLink({ ...hostPort(address), secret: SECRET, role: 'worker', nodeId: 'bad' });
    h.add(() => link.destroy());
    // A well-formed length prefix around an unknown opcode, then a msgpack body that is not a map.
    link.socket.write(Buffer.from([0, 0, 0, 3, 0xee, 1, 2]));
    await within(link.closed, 3_000, 'bad link closed');
    await logger.waitFor((l) => l.level === 'warn' && l.obj['code'] === ErrorCode.UnknownOpcode);

    const { link: link2 } = await connectLink({ ...hostPort(address), secret: SECRET, role: 'gateway', nodeId: 'bad2' });
    h.add(() => link2.destroy());
    link2.socket.write(Buffer.from([0, 0, 0, 2, 10, 0xc1])); // Announce with an invalid msgpack byte
    await within(link2.closed, 3_000, 'second bad link closed');
    await logger.waitFor((l) => l.level === 'warn' && l.obj['code'] === ErrorCode.MalformedFrame);

    expect([...sub.gateways().keys()]).toEqual(['gw000000keep']);
    expect((await sub.status()).gateways.map((g) => g.gatewayId)).toEqual(['gw000000keep']);
  });
});
