import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLine, connectWs } from '../helpers/clients.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { runCli } from '../helpers/cli.js';
import { OPS_HANDLER, RpcClient } from '../helpers/rpc.js';

// Per-client order, failing handlers, bad client input, a worker with the wrong secret, and a
// query while one gateway is frozen — against one cluster started through the CLI.

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    gateways: 2,
    workers: 2,
    handler: OPS_HANDLER,
    tcp: { framing: 'line' },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('robustness', () => {
  it("keeps a client's events in order even when the handler is async with varying delays", async () => {
    const client = await RpcClient.connect(cluster.wsUrl);
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => client.request('sleep', (i * 7) % 5, i)));
    // Replies are sent in handling order; each reply's arrival order must match the sequence.
    expect(replies.map((r) => r.result)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await client.close();
  });

  it('runs different clients concurrently, but one client one event at a time', async () => {
    const [x, y] = await Promise.all([RpcClient.connect(cluster.wsUrl), RpcClient.connect(cluster.wsUrl)]);
    type Span = { start: number; end: number };
    const [x1, y1, x2] = (await Promise.all([x.call('span', 200), y.call('span', 200), x.call('span', 200)])) as Span[];
    // Different clients: their handlers overlap in time (no global lock).
    expect(x1!.start < y1!.end && y1!.start < x1!.end).toBe(true);
    // Same client: its second event starts only after its first one finished.
    expect(x2!.start).toBeGreaterThanOrEqual(x1!.end);
    await Promise.all([x.close(), y.close()]);
  });

  it('a handler that throws is logged with the client id; that client and others carry on', async () => {
    const client = await RpcClient.connect(cluster.wsUrl);
    const other = await RpcClient.connect(cluster.wsUrl);
    void client.request('throw').catch(() => {});
    const line = await cluster.waitForLog((l) => l.role === 'worker' && JSON.stringify(l).includes('handler failure on purpose'));
    expect(JSON.stringify(line)).toContain(client.id);
    expect(await client.call('sleep', 0, 'still here')).toBe('still here');
    expect(await other.call('sleep', 0, 'me too')).toBe('me too');
    await Promise.all([client.close(), other.close()]);
  });

  it('closes an oversize ws message with 1009 and keeps serving others', async () => {
    const big = await connectWs(cluster.wsUrl);
    const bystander = await RpcClient.connect(cluster.wsUrl);
    big.send(Buffer.alloc(2 * 1024 * 1024, 1));
    expect((await big.closed).code).toBe(1009);
    expect(await bystander.call('sleep', 0, 'fine')).toBe('fine');
    await bystander.close();
  });

  it('survives garbage on the ws port and invalid UTF-8 in a text frame', async () => {
    const garbage = connect({ port: Number(new URL(cluster.wsUrl).port), host: '127.0.0.1' });
    await new Promise<void>((resolve) => garbage.once('connect', () => resolve()));
    garbage.on('error', () => {});
    garbage.write('\x00\x01\x02 this is not http\r\n\r\n');
    await new Promise<void>((resolve) => garbage.once('close', () => resolve()));

    const bad = await connectWs(cluster.wsUrl);
    // A masked text frame whose payload is not UTF-8: ws must close with 1007.
    (bad.ws as unknown as { _socket: import('node:net').Socket })._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
    expect((await bad.closed).code).toBe(1007);

    const ok = await RpcClient.connect(cluster.wsUrl);
    expect(await ok.call('sleep', 0, 'alive')).toBe('alive');
    await ok.close();
  });

  it('serves tcp clients with line framing and closes an overlong line', async () => {
    const line = await connectLine(cluster.tcpPort as number);
    line.send('hello over tcp');
    expect(await line.next()).toBe('hello over tcp');
    line.socket.write('x'.repeat(2 * 1024 * 1024));
    await line.closed;
    const again = await connectLine(cluster.tcpPort as number);
    again.send('still serving');
    expect(await again.next()).toBe('still serving');
    await again.close();
  });

  it('refuses a worker with the wrong secret: it exits 1 with a clear error; the register logs it', async () => {
    const env = { ...cluster.env };
    const worker = await runCli(
      ['worker', '--handler', `${cluster.dir}/handler.mjs`, '--registers', cluster.registerAddress, '--secret', 'wrong', '--log-level', 'info'],
      { env, timeoutMs: 25_000 },
    );
    const code = worker.code;
    const output = worker.stdout + worker.stderr;
    expect(code).toBe(1);
    expect(output).toMatch(/auth/i);
    const line = await cluster.waitForLog((l) => l.role === 'register' && /auth/i.test(JSON.stringify(l)));
    expect(line.level).toBeGreaterThanOrEqual(40);
  }, 30_000);

  it('a query with one gateway not answering fails with a typed error naming it', async () => {
    const status = await cluster.cli(['status', '--json']);
    expect(status.code).toBe(0);
    const topology = JSON.parse(status.stdout) as { gateways: { gatewayId: string; pid: number }[] };
    expect(topology.gateways).toHaveLength(2);
    // Find a client on one gateway, freeze the other one.
    const client = await RpcClient.connect(cluster.wsUrl);
    const frozen = topology.gateways.find((g) => !client.id.startsWith(g.gatewayId));
    if (frozen === undefined) throw new Error('no second gateway');
    process.kill(frozen.pid, 'SIGSTOP');
    try {
      const r = await client.request('getAllClientCount', { timeoutMs: 800 });
      expect(r.ok).toBe(false);
      expect(r.code).toBe('GW_ERR_QUERY_TIMEOUT');
      expect(r.message).toContain(frozen.gatewayId);
      const partial = await client.request('getAllClientCount', { timeoutMs: 800, partial: true });
      expect(partial.ok).toBe(true);
      expect(partial.result).toMatchObject({ partial: true });
      expect(JSON.stringify(partial.result)).toContain(frozen.gatewayId);
    } finally {
      process.kill(frozen.pid, 'SIGCONT');
    }
    await client.close();
  });
});
