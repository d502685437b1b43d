import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeSendToClient, FRAME_PREFIX_BYTES, Op } from '@gateworker/protocol';
import type { Message } from '@gateworker/protocol';
import { CommandCounters, CommandStream, DropLog } from '../src/command-stream.js';
import type { LinkSession } from '../src/link-session.js';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';

function fakeSession(): LinkSession & { wire: Message[] } {
  const wire: Message[] = [];
  const link = {
    sendFrame: (frame: Buffer) => wire.push(decodeMessage(frame.subarray(FRAME_PREFIX_BYTES))) > 0,
    send: (m: Message) => wire.push(m) > 0,
  };
  return { wire, link } as unknown as LinkSession & { wire: Message[] };
}

const frame = (n: number): Buffer => encodeSendToClient(n, false, Buffer.alloc(4, n));
const clientsOf = (ms: Message[]): number[] => ms.flatMap((m) => (m.op === Op.SendToClient ? [m.client] : []));

function setup(bounds = { maxBytes: 1 << 20, maxAgeMs: 60_000 }) {
  const logger = new CaptureLogger();
  const counters = new CommandCounters();
  const drops = new DropLog(logger, counters);
  const stream = new CommandStream('gw@x', 'sender-1', bounds, counters, drops);
  return { stream, counters, logger, drops };
}

describe('CommandStream', () => {
  it('holds commands while unlinked; a link resumes from the oldest retained and re-sends them in order', () => {
    const { stream } = setup();
    stream.send(frame(1));
    stream.send(frame(2));
    const s1 = fakeSession();
    stream.attach(s1);
    expect(s1.wire[0]).toEqual({ op: Op.StreamResume, sender: 'sender-1', first: 1 });
    expect(clientsOf(s1.wire)).toEqual([1, 2]);
    stream.send(frame(3));
    expect(clientsOf(s1.wire)).toEqual([1, 2, 3]);
    // The gateway confirms 2; the link dies before 3 is confirmed.
    stream.ack(2);
    expect(stream.length).toBe(1);
    stream.detach(s1);
    stream.send(frame(4));
    const s2 = fakeSession();
    stream.attach(s2);
    expect(s2.wire[0]).toEqual({ op: Op.StreamResume, sender: 'sender-1', first: 3 });
    expect(clientsOf(s2.wire)).toEqual([3, 4]);
    stream.ack(4);
    expect(stream.length).toBe(0);
    expect(stream.retainedBytes).toBe(0);
  });

  it('past maxBytes drops the oldest unsent commands, counts them and logs once per burst', () => {
    const size = frame(1).length;
    const { stream, counters, logger, drops } = setup({ maxBytes: size * 3, maxAgeMs: 60_000 });
    for (let i = 1; i <= 10; i++) stream.send(frame(i));
    expect(stream.length).toBe(3);
    expect(counters.dropped).toBe(7);
    expect(logger.lines.filter((e) => e.level === 'warn')).toHaveLength(1);
    drops.close();
    const warns = logger.lines.filter((e) => e.level === 'warn');
    expect(warns).toHaveLength(2);
    expect(warns[1]?.obj['count']).toBe(6);
    const s = fakeSession();
    stream.attach(s);
    // The gateway learns of the gap from `first`.
    expect(s.wire[0]).toMatchObject({ op: Op.StreamResume, first: 8 });
    expect(clientsOf(s.wire)).toEqual([8, 9, 10]);
  });

  it('drops commands older than maxAge before re-sending them', async () => {
    const { stream, counters } = setup({ maxBytes: 1 << 20, maxAgeMs: 20 });
    stream.send(frame(1));
    await new Promise((resolve) => setTimeout(resolve, 40));
    stream.send(frame(2));
    const s = fakeSession();
    stream.attach(s);
    expect(s.wire[0]).toMatchObject({ op: Op.StreamResume, first: 2 });
    expect(clientsOf(s.wire)).toEqual([2]);
    expect(counters.dropped).toBe(1);
  });

  it('discarding a gone gateway counts never-sent commands as dropped and sent-unconfirmed ones apart', () => {
    const { stream, counters } = setup();
    const s = fakeSession();
    stream.attach(s);
    stream.send(frame(1));
    stream.send(frame(2));
    stream.discard('gateway gone');
    expect(counters.unconfirmed).toBe(2);
    expect(counters.dropped).toBe(0);
    stream.send(frame(3));
    expect(counters.dropped).toBe(1);
  });
});
