/**
 * Property/fuzz test of the decoding path: random and mutated frames must only ever produce a
 * ProtocolError (with a code from ErrorCode) or a valid message, never another exception and
 * never a hang. Deterministic: a seeded PRNG drives every choice, and a failure prints the seed
 * and the input so it can be replayed.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FrameDecoder, Op, packValue, ProtocolError } from '@gateworker/protocol';
import type { Message } from '@gateworker/protocol';
import { allSamples, errorCodes, prng, randInt, randomBytesFrom } from './helpers.js';

const SEED = 0x9e3779b9;
const ITERATIONS = 100_000;
const MAX_FRAME_BYTES = 64 * 1024;

const seeds: Buffer[] = allSamples.map((m) => encodeMessage(m));
const ops: number[] = Object.values(Op);

/** Field names of every message, so random msgpack maps sometimes hit the fields decoders read. */
const fieldNames = [
  'version',
  'nonce',
  'role',
  'nodeId',
  'proof',
  'code',
  'message',
  't',
  'gateway',
  'gatewayId',
  'address',
  'processIndex',
  'pid',
  'stats',
  'clients',
  'uids',
  'groups',
  'workers',
  'pending',
  'worker',
  'workerId',
  'state',
  'inflight',
  'handled',
  'gateways',
  'requestId',
  'status',
  'register',
  'uptimeMs',
  'client',
  'uid',
  'group',
  'data',
  'binary',
  'session',
  'patch',
  'id',
  'kind',
  'args',
  'result',
  'error',
  'exclude',
  'listener',
  'remoteAddress',
  'remotePort',
  'request',
  'url',
  'headers',
  '__proto__',
];
const strings = ['', 'gateway', 'worker', 'client', 'register', 'ready', 'draining', 'starting', 'x'.repeat(300), 'ünï'];

type Stats = Record<'valid' | 'protocolErrors' | 'incomplete', number>;

/** A random msgpack-able value, biased towards the shapes decoders expect. */
function randomValue(rand: () => number, depth: number): unknown {
  switch (randInt(rand, 0, depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return [0, 1, 2 ** 32 - 1, 2 ** 48 - 1, 2 ** 48, -1, 2 ** 53 + 2, 1.5][randInt(rand, 0, 7)];
    case 3:
      return randInt(rand, 0, 1_000_000);
    case 4:
      return strings[randInt(rand, 0, strings.length - 1)];
    case 5:
      return randomBytesFrom(rand, randInt(rand, 0, 40));
    case 6:
      return undefined;
    case 7:
      return Array.from({ length: randInt(rand, 0, 4) }, () => randomValue(rand, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = randInt(rand, 0, 7); i > 0; i--) {
        // defineProperty, so a "__proto__" key is an own key and not a prototype change
        const key = fieldNames[randInt(rand, 0, fieldNames.length - 1)] as string;
        Object.defineProperty(obj, key, { value: randomValue(rand, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return obj;
    }
  }
}

/** One mutation of a frame (prefix included). */
function mutate(rand: () => number, input: Buffer): Buffer {
  const buf = Buffer.from(input);
  switch (randInt(rand, 0, 9)) {
    case 0: {
      // flip bits of a few bytes
      for (let i = randInt(rand, 1, 4); i > 0 && buf.length > 0; i--) {
        const at = randInt(rand, 0, buf.length - 1);
        buf[at] = (buf[at] as number) ^ (1 << randInt(rand, 0, 7));
      }
      return buf;
    }
    case 1: {
      // overwrite a byte with a random or boundary value
      if (buf.length === 0) return buf;
      buf[randInt(rand, 0, buf.length - 1)] = [0, 0xff, 0x7f, 0x80, 0xc1, randInt(rand, 0, 255)][randInt(rand, 0, 5)] as number;
      return buf;
    }
    case 2: // truncate
      return buf.subarray(0, randInt(rand, 0, buf.length));
    case 3: // extend with random bytes
      return Buffer.concat([buf, randomBytesFrom(rand, randInt(rand, 1, 64))]);
    case 4: {
      // change the opcode (to another known one, mostly)
      if (buf.length > 4) buf[4] = rand() < 0.8 ? (ops[randInt(rand, 0, ops.length - 1)] as number) : randInt(rand, 0, 255);
      return buf;
    }
    case 5: {
      // change the length prefix
      if (buf.length < 4) return buf;
      const length = buf.readUInt32BE(0);
      const choices = [0, 1, length - 1, length + 1, length + randInt(rand, 2, 100), MAX_FRAME_BYTES, MAX_FRAME_BYTES + 1, 0xffffffff];
      buf.writeUInt32BE(Math.max(0, Math.min(0xffffffff, choices[randInt(rand, 0, choices.length - 1)] as number)), 0);
      return buf;
    }
    case 6: {
      // plant a big u32 (a length or count field) somewhere in the body
      if (buf.length < 9) return buf;
      buf.writeUInt32BE([0xffffffff, 0x7fffffff, 0x10000, buf.length][randInt(rand, 0, 3)] as number, randInt(rand, 5, buf.length - 4));
      return buf;
    }
    case 7: {
      // delete a range
      const from = randInt(rand, 0, buf.length);
      return Buffer.concat([buf.subarray(0, from), buf.subarray(Math.min(buf.length, from + randInt(rand, 1, 8)))]);
    }
    case 8: {
      // splice the head of one frame with the tail of another, fixing the prefix
      const other = seeds[randInt(rand, 0, seeds.length - 1)] as Buffer;
      const out = Buffer.concat([buf.subarray(0, randInt(rand, 4, Math.max(4, buf.length))), other.subarray(randInt(rand, 4, other.length))]);
      if (out.length >= 4) out.writeUInt32BE(out.length - 4, 0);
      return out;
    }
    default: {
      // a known opcode with a random msgpack body: exercises every field check
      const body = packValue(randomValue(rand, 0));
      const out = Buffer.alloc(5 + body.length);
      out.writeUInt32BE(1 + body.length, 0);
      out[4] = ops[randInt(rand, 0, ops.length - 1)] as number;
      body.copy(out, 5);
      return out;
    }
  }
}

function randomInput(rand: () => number): Buffer {
  const r = rand();
  if (r < 0.05) return randomBytesFrom(rand, randInt(rand, 0, 80)); // pure noise
  if (r < 0.15) {
    // noise behind a coherent prefix and a valid opcode
    const body = randomBytesFrom(rand, randInt(rand, 0, 80));
    const out = Buffer.alloc(5 + body.length);
    out.writeUInt32BE(1 + body.length, 0);
    out[4] = ops[randInt(rand, 0, ops.length - 1)] as number;
    body.copy(out, 5);
    return out;
  }
  let buf = seeds[randInt(rand, 0, seeds.length - 1)] as Buffer;
  for (let i = randInt(rand, 1, 3); i > 0; i--) buf = mutate(rand, buf);
  return buf;
}

/** Runs `fn`; a ProtocolError with a catalogued code counts, anything else fails the test with the replay details. */
function classify(fn: () => void, stats: Stats, context: () => string): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError && errorCodes.has(err.code)) {
      stats.protocolErrors++;
      return;
    }
    throw new Error(`non-ProtocolError for ${context()}: ${String(err)}`, { cause: err });
  }
}

/** A decoded message must be valid: encodable, and stable under a second round trip. */
function checkValid(message: Message, stats: Stats): void {
  const again = encodeMessage(message);
  const reDecoded = decodeMessage(again.subarray(4));
  if (!encodeMessage(reDecoded).equals(again)) throw new Error(`unstable round trip for ${JSON.stringify(message)}`);
  stats.valid++;
}

/** One fuzz case: the input through a FrameDecoder in random pieces, then straight into decodeMessage. */
function runCase(rand: () => number, input: Buffer, stats: Stats, context: () => string): void {
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  const cuts = [randInt(rand, 0, input.length), randInt(rand, 0, input.length)].sort((a, b) => a - b);
  const pieces = [input.subarray(0, cuts[0]), input.subarray(cuts[0], cuts[1]), input.subarray(cuts[1])];
  let frames = 0;
  classify(
    () => {
      for (const piece of pieces) {
        decoder.push(piece, (frame) => {
          frames++;
          classify(() => checkValid(decodeMessage(frame), stats), stats, context);
        });
      }
    },
    stats,
    context,
  );
  if (frames === 0) stats.incomplete++;
  // Whatever the prefix says, the body goes through decodeMessage too (truncations and extensions reach it this way).
  if (input.length > 4) classify(() => checkValid(decodeMessage(input.subarray(4)), stats), stats, context);
}

describe('fuzz: random and mutated frames', () => {
  it(`${ITERATIONS} inputs produce only ProtocolErrors or valid messages`, () => {
    const rand = prng(SEED);
    const stats: Stats = { valid: 0, protocolErrors: 0, incomplete: 0 };
    // Capturing ~300k stack traces is most of the cost; a failure names the input to replay instead.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let i = 0; i < ITERATIONS; i++) {
        const input = randomInput(rand);
        runCase(rand, input, stats, () => `iteration ${i} (seed ${SEED}), input ${input.toString('hex')}`);
        // Now and then, check that failed decodes left no state behind (msgpackr keeps some between calls).
        if (i % 10_000 === 0) {
          for (const m of allSamples) expect(decodeMessage(encodeMessage(m).subarray(4))).toEqual(m);
        }
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    // Every kind of outcome happened, so the generator is not stuck in one corner.
    expect(stats.valid).toBeGreaterThan(1_000);
    expect(stats.protocolErrors).toBeGreaterThan(10_000);
    expect(stats.incomplete).toBeGreaterThan(1_000);
  });

  it('every msgpack extension type in a free-form field gives a ProtocolError or a re-encodable message', () => {
    // Query {id: 1, kind: 1, args: <extension>}
    const head = Buffer.from([Op.Query, 0x83, 0xa2, 0x69, 0x64, 1, 0xa4, 0x6b, 0x69, 0x6e, 0x64, 1, 0xa4, 0x61, 0x72, 0x67, 0x73]);
    const stats: Stats = { valid: 0, protocolErrors: 0, incomplete: 0 };
    for (let type = 0; type < 256; type++) {
      for (const [marker, length] of [
        [0xd4, 1],
        [0xd5, 2],
        [0xd6, 4],
        [0xd7, 8],
        [0xd8, 16],
        [0xc7, 0],
        [0xc7, 3],
        [0xc7, 20],
      ] as const) {
        for (const fill of [0x00, 0x41, 0x93, 0xff]) {
          const ext = marker === 0xc7 ? [marker, length, type] : [marker, type];
          const frame = Buffer.concat([head, Buffer.from(ext), Buffer.alloc(length, fill)]);
          classify(
            () => checkValid(decodeMessage(frame), stats),
            stats,
            () => frame.toString('hex'),
          );
        }
      }
    }
    // Only ext 0 (undefined) and ext −1 (timestamp) decode.
    expect(stats.valid).toBe(2 * 8 * 4);
  });

  it('survives frames of deeply nested msgpack', () => {
    for (const depth of [1_000, 100_000]) {
      const body = Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]); // [[[…[nil]…]]]
      for (const op of [Op.BindUid, Op.Query, Op.SendToUids]) {
        const header = op === Op.SendToUids ? Buffer.from([op, 0, 0, 0, 0, 0]) : Buffer.from([op]);
        if (op === Op.SendToUids) header.writeUInt32BE(body.length, 2); // flags, then the arguments' length
        const frame = Buffer.concat([header, body]);
        try {
          decodeMessage(frame);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }
    }
  });
});
