import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeAck,
  encodeAckRanges,
  encodeClientClose,
  encodeClientPoison,
  encodeClientConnect,
  encodeClientMessage,
  encodeMessage,
  encodeSendToAll,
  encodeSendToClient,
  encodeSendToClients,
  encodeSendToGroups,
  encodeSendToUids,
  ErrorCode,
  FRAME_PREFIX_BYTES,
  Op,
  opName,
  MAX_MSGPACK_DEPTH,
  packValue,
  unpackValue,
} from '@gateworker/protocol';
import type { Message } from '@gateworker/protocol';
import { allSamples, expectProtocolError, samples } from './helpers.js';

/** A frame as FrameDecoder yields it: without the length prefix. */
function body(frame: Buffer): Buffer {
  expect(frame.readUInt32BE(0)).toBe(frame.length - FRAME_PREFIX_BYTES);
  return frame.subarray(FRAME_PREFIX_BYTES);
}

/** A frame with the given opcode and body bytes. */
function frameOf(op: number, ...parts: (Buffer | number[])[]): Buffer {
  return Buffer.concat([Buffer.from([op]), ...parts.map((p) => Buffer.from(p))]);
}

describe('encodeMessage / decodeMessage', () => {
  it('has a sample for every opcode', () => {
    const covered = new Set(allSamples.map((m) => m.op));
    for (const op of Object.values(Op)) expect(covered.has(op), opName(op)).toBe(true);
  });

  for (const [name, op] of Object.entries(Op)) {
    it(`round-trips ${name} (${op})`, () => {
      for (const message of samples[op] as Message[]) {
        const frame = encodeMessage(message);
        expect(frame[FRAME_PREFIX_BYTES]).toBe(op);
        const decoded = decodeMessage(body(frame));
        expect(decoded).toEqual(message);
        // Re-encoding the decoded message gives the same bytes: the codec is canonical.
        expect(encodeMessage(decoded).equals(frame)).toBe(true);
      }
    });
  }

  it('decodes payloads as views of the frame (no copy)', () => {
    const frame = body(encodeClientMessage(1, 2, null, true, Buffer.from('abc')));
    const decoded = decodeMessage(frame);
    if (decoded.op !== Op.ClientMessage) throw new Error('wrong op');
    expect(decoded.payload.buffer).toBe(frame.buffer);
  });

  it('rejects an empty frame and unknown opcodes', () => {
    expectProtocolError(() => decodeMessage(Buffer.alloc(0)), ErrorCode.MalformedFrame);
    for (const op of [0, 7, 9, 19, 29, 34, 45, 58, 62, 75, 255]) {
      const err = expectProtocolError(() => decodeMessage(Buffer.from([op, 0, 0, 0, 0])), ErrorCode.UnknownOpcode);
      expect(err.wire).toBe(3);
    }
  });
});

describe('hot-path encoders', () => {
  const session = packValue({ a: 1 });
  const payload = Buffer.from('payload');

  it('produce the same frames as encodeMessage', () => {
    const pairs: [Buffer, Message][] = [
      [encodeClientMessage(5, 9, session, true, payload), { op: Op.ClientMessage, seq: 5, client: 9, session, binary: true, payload }],
      [encodeClientMessage(6, 9, null, false, payload), { op: Op.ClientMessage, seq: 6, client: 9, session: null, binary: false, payload }],
      [encodeClientClose(7, 9, session), { op: Op.ClientClose, seq: 7, client: 9, session }],
      [
        encodeClientConnect(8, 9, null, { listener: 'tcp://x:1', remoteAddress: '1.2.3.4', remotePort: 5, request: null }),
        {
          op: Op.ClientConnect,
          seq: 8,
          client: 9,
          session: null,
          info: { listener: 'tcp://x:1', remoteAddress: '1.2.3.4', remotePort: 5, request: null },
        },
      ],
      [encodeSendToClient(9, false, payload), { op: Op.SendToClient, client: 9, binary: false, payload }],
      [encodeSendToClients([1, 2], true, payload), { op: Op.SendToClients, clients: [1, 2], binary: true, payload }],
      [encodeSendToAll([3], false, payload), { op: Op.SendToAll, exclude: [3], binary: false, payload }],
      [encodeSendToUids(['u'], true, payload), { op: Op.SendToUids, uids: ['u'], binary: true, payload }],
      [encodeSendToGroups(['g'], [4], false, payload), { op: Op.SendToGroups, groups: ['g'], exclude: [4], binary: false, payload }],
      [encodeAck(123), { op: Op.Ack, seq: 123 }],
      [encodeAckRanges([1, 1, 0xfffffffe, 2]), { op: Op.AckRanges, ranges: [1, 1, 0xfffffffe, 2] }],
      [
        encodeClientPoison(8, 9, null, 'connect', 3, false, Buffer.alloc(0)),
        { op: Op.ClientPoison, seq: 8, client: 9, session: null, event: 'connect', deliveries: 3, binary: false, payload: Buffer.alloc(0) },
      ],
      [
        encodeClientPoison(8, 9, session, 'message', 2, true, payload, 'u'),
        { op: Op.ClientPoison, seq: 8, client: 9, session, uid: 'u', event: 'message', deliveries: 2, binary: true, payload },
      ],
    ];
    for (const [frame, message] of pairs) {
      expect(frame.equals(encodeMessage(message)), opName(message.op)).toBe(true);
      expect(decodeMessage(body(frame))).toEqual(message);
    }
  });

  it('copy the payload bytes unchanged, at the documented offsets', () => {
    const p = Buffer.from([1, 2, 3, 4, 5]);
    // ClientMessage: prefix 4 + op 1 + seq 4 + client 6 + flags 1 = 16, then payload (no session).
    expect(encodeClientMessage(1, 1, null, true, p).subarray(16).equals(p)).toBe(true);
    // SendToClient: prefix 4 + op 1 + flags 1 + client 6 = 12, then payload.
    expect(encodeSendToClient(1, true, p).subarray(12).equals(p)).toBe(true);
  });

  it('reject client numbers outside 1 … 2^48−1 with a RangeError', () => {
    for (const bad of [0, -1, 2 ** 48, 1.5, Number.NaN]) {
      expect(() => encodeClientMessage(1, bad, null, false, payload)).toThrow(RangeError);
      expect(() => encodeSendToClient(bad, false, payload)).toThrow(RangeError);
      expect(() => encodeSendToClients([1, bad], false, payload)).toThrow(RangeError);
    }
  });

  it('handle a 1 MiB payload', () => {
    const big = Buffer.alloc(1024 * 1024, 0xab);
    const decoded = decodeMessage(body(encodeSendToClient(3, true, big)));
    if (decoded.op !== Op.SendToClient) throw new Error('wrong op');
    expect(decoded.client).toBe(3);
    expect(decoded.payload.equals(big)).toBe(true); // not toEqual: element-wise diffing of 1 MiB is slow
  });
});

describe('validation of decoded data', () => {
  const seqClient = [0, 0, 0, 1, 0, 0, 0, 0, 0, 9];

  it('rejects short hot-path bodies as malformed', () => {
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientMessage, [0, 0, 0, 1])), ErrorCode.MalformedFrame);
    expectProtocolError(() => decodeMessage(frameOf(Op.SendToClient, [0, 0, 0])), ErrorCode.MalformedFrame);
    expectProtocolError(() => decodeMessage(frameOf(Op.SendToClient)), ErrorCode.MalformedFrame);
    expectProtocolError(() => decodeMessage(frameOf(Op.Ack, [0, 0, 1])), ErrorCode.MalformedFrame);
    expectProtocolError(() => decodeMessage(frameOf(Op.Ack, [0, 0, 0, 1, 0])), ErrorCode.MalformedFrame);
    expectProtocolError(() => decodeMessage(frameOf(Op.AckRanges, [])), ErrorCode.MalformedFrame);
    expectProtocolError(() => decodeMessage(frameOf(Op.AckRanges, [0, 0, 0, 1, 0, 0, 0])), ErrorCode.MalformedFrame);
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientPoison, [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0], [7, 0, 1])), ErrorCode.InvalidMessage);
  });

  it('rejects client number 0 and unknown flags', () => {
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientMessage, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientMessage, seqClient, [4])), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(frameOf(Op.SendToClient, [2], [0, 0, 0, 0, 0, 1])), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(frameOf(Op.SendToClient, [0], [0, 0, 0, 0, 0, 0])), ErrorCode.InvalidMessage);
  });

  it('rejects lengths that overrun the frame', () => {
    // session length 100 with 2 bytes present
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientMessage, seqClient, [2], [0, 0, 0, 100, 1, 2])), ErrorCode.MalformedFrame);
    // session flag without the session length
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientMessage, seqClient, [2], [0, 0])), ErrorCode.MalformedFrame);
    // a list of 2^32−1 clients
    expectProtocolError(() => decodeMessage(frameOf(Op.SendToClients, [0], [255, 255, 255, 255])), ErrorCode.MalformedFrame);
    // msgpack arguments longer than the frame
    expectProtocolError(() => decodeMessage(frameOf(Op.SendToUids, [0], [0, 0, 0, 9], [0x90])), ErrorCode.MalformedFrame);
  });

  it('rejects a ClientClose with a payload', () => {
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientClose, seqClient, [0], [1])), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(frameOf(Op.ClientClose, seqClient, [1])), ErrorCode.InvalidMessage);
  });

  it('rejects msgpack bodies that are not maps or have wrong fields', () => {
    const control = (op: number, value: unknown): Buffer => frameOf(op, packValue(value));
    expectProtocolError(() => decodeMessage(frameOf(Op.BindUid, [0x92])), ErrorCode.MalformedFrame); // truncated array
    expectProtocolError(() => decodeMessage(frameOf(Op.BindUid, [0x80, 0x80])), ErrorCode.MalformedFrame); // trailing bytes
    expectProtocolError(() => decodeMessage(control(Op.BindUid, [1, 'u'])), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.BindUid, Buffer.from('x'))), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.BindUid, { client: 0, uid: 'u' })), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.BindUid, { client: 2 ** 48, uid: 'u' })), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.BindUid, { client: 1.5, uid: 'u' })), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.BindUid, { client: 1, uid: 5 })), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.BindUid, { client: 1, uid: 'x'.repeat(65_537) })), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.Hello, { version: 1, nonce: 'n', role: 'gateway', nodeId: 'a' })), ErrorCode.InvalidMessage);
    expectProtocolError(
      () => decodeMessage(control(Op.Hello, { version: 1, nonce: Buffer.alloc(16), role: 'worker', nodeId: 'a' })),
      ErrorCode.InvalidMessage,
    );
    expectProtocolError(() => decodeMessage(control(Op.Query, { id: 1, kind: 999, args: null })), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.Ping, { t: -1 })), ErrorCode.InvalidMessage);
    expectProtocolError(() => decodeMessage(control(Op.SendToGroups, {})), ErrorCode.InvalidMessage);
    const uids = Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from([0x91, 0x01])]);
    expectProtocolError(() => decodeMessage(frameOf(Op.SendToUids, uids)), ErrorCode.InvalidMessage);
  });

  it('refuses msgpack extension types that would build class instances', () => {
    // Query {id: 1, kind: 1, args: <value>}: args is free-form, so only unpackValue stands in the way.
    const query = (value: number[]): Buffer =>
      frameOf(Op.Query, [0x83, 0xa2, 0x69, 0x64, 1, 0xa4, 0x6b, 0x69, 0x6e, 0x64, 1, 0xa4, 0x61, 0x72, 0x67, 0x73], value);
    const refused: [string, number[]][] = [
      ['0xc1 (never used)', [0xc1]],
      ['BigInt', [0xd4, 0x42, 0x01]],
      ['Error', [0xd4, 0x65, 0x00, 0x92, 0xa1, 0x45, 0xa1, 0x78]],
      ['RegExp', [0xd4, 0x78, 0x00, 0x92, 0xa1, 0x78, 0xa0]],
      ['Set', [0xd4, 0x73, 0x00, 0x91, 0x01]],
      ['Float64Array', [0xc7, 0x09, 0x74, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]],
      ['structured-clone id', [0xd6, 0x69, 0, 0, 0, 1, 0x90]],
      ['structured-clone pointer', [0xd6, 0x70, 0, 0, 0, 1]],
      ['unknown extension', [0xd4, 0x20, 0x00]],
    ];
    for (const [what, value] of refused) {
      const err = expectProtocolError(() => decodeMessage(query(value)), ErrorCode.MalformedFrame);
      expect(err.wire, what).toBe(2);
    }
    // Timestamps and undefined are what packValue itself writes for Date and undefined: accepted.
    const date = new Date(1_700_000_000_000);
    expect(decodeMessage(frameOf(Op.Query, packValue({ id: 1, kind: 1, args: { at: date, u: undefined } })))).toEqual({
      op: Op.Query,
      id: 1,
      kind: 1,
      args: { at: date, u: undefined },
    });
  });

  it(`refuses msgpack values nested deeper than ${MAX_MSGPACK_DEPTH}`, () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
    const ok = frameOf(Op.Query, packValue({ id: 1, kind: 1, args: nest(MAX_MSGPACK_DEPTH - 2) })); // the body map is one level
    expect(decodeMessage(ok).op).toBe(Op.Query);
    expectProtocolError(() => unpackValue(packValue(nest(MAX_MSGPACK_DEPTH + 1))), ErrorCode.MalformedFrame);
  });

  it('keeps msgpack bodies free of prototype tricks', () => {
    const frame = frameOf(Op.Query, packValue({ id: 1, kind: QueryKindIsOnline, args: JSON.parse('{"__proto__": {"polluted": true}}') }));
    const decoded = decodeMessage(frame);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(decoded.op).toBe(Op.Query);
  });

  it('unpackValue wraps msgpack errors', () => {
    expectProtocolError(() => unpackValue(Buffer.alloc(0)), ErrorCode.MalformedFrame);
    expectProtocolError(() => unpackValue(Buffer.from([0xdd, 0x7f, 0xff, 0xff, 0xff])), ErrorCode.MalformedFrame);
    expect(unpackValue(packValue({ a: [1, 'b'] }))).toEqual({ a: [1, 'b'] });
  });
});

const QueryKindIsOnline = 1;
