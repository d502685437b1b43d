import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../src/errors.js';
import { encodeLengthPrefixed, encodeLine, pushLengthPrefixed, pushLine, pushRaw, type Inbound } from '../src/listeners/framing.js';

type Push = (state: Inbound | null, chunk: Buffer, max: number, emit: (p: Buffer, out: string[]) => void, out: string[]) => Inbound | null;

function feed(push: Push, chunks: Buffer[], max = 1024): string[] {
  const out: string[] = [];
  let state: Inbound | null = null;
  for (const c of chunks) state = push(state, c, max, (p, o) => o.push(p.toString()), out);
  return out;
}

function splits(bytes: Buffer, seed: number): Buffer[] {
  const chunks: Buffer[] = [];
  let x = seed;
  for (let i = 0; i < bytes.length;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % 7);
    chunks.push(bytes.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

describe('line framing', () => {
  const input = Buffer.from('hello\r\nworld\n\nlast one\n');
  const expected = ['hello', 'world', '', 'last one'];

  it('splits lines and strips a trailing \\r', () => {
    expect(feed(pushLine, [input])).toEqual(expected);
  });

  it('survives byte-by-byte and random splits', () => {
    expect(
      feed(
        pushLine,
        [...input].map((b) => Buffer.from([b])),
      ),
    ).toEqual(expected);
    for (let seed = 1; seed < 50; seed++) expect(feed(pushLine, splits(input, seed))).toEqual(expected);
  });

  it('keeps an incomplete line until its newline', () => {
    const out: string[] = [];
    const state = pushLine(null, Buffer.from('abc'), 10, (p, o) => o.push(p.toString()), out);
    expect(out).toEqual([]);
    expect(state?.bytes).toBe(3);
    expect(pushLine(state, Buffer.from('d\n'), 10, (p, o) => o.push(p.toString()), out)).toBeNull();
    expect(out).toEqual(['abcd']);
  });

  it('rejects a line over the limit, complete or not', () => {
    const tooLong = (chunks: Buffer[]): unknown => {
      try {
        feed(pushLine, chunks, 4);
        return null;
      } catch (err) {
        return err;
      }
    };
    expect(isGatewayError(tooLong([Buffer.from('12345\n')]))).toBe(true);
    expect(isGatewayError(tooLong([Buffer.from('123'), Buffer.from('45')]))).toBe(true);
    expect(isGatewayError(tooLong([Buffer.from('12345')]))).toBe(true);
    expect(tooLong([Buffer.from('1234\n')])).toBeNull();
  });

  it('encodes a line', () => {
    expect(encodeLine(Buffer.from('hi')).toString()).toBe('hi\n');
  });
});

describe('length framing', () => {
  const messages = ['a', '', 'hello world', 'x'.repeat(300)];
  const input = Buffer.concat(messages.map((m) => encodeLengthPrefixed(Buffer.from(m))));

  it('round-trips whole and split input', () => {
    expect(feed(pushLengthPrefixed, [input])).toEqual(messages);
    expect(
      feed(
        pushLengthPrefixed,
        [...input].map((b) => Buffer.from([b])),
      ),
    ).toEqual(messages);
    for (let seed = 1; seed < 50; seed++) expect(feed(pushLengthPrefixed, splits(input, seed))).toEqual(messages);
  });

  it('rejects a prefix over the limit before buffering the body', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(2000, 0);
    expect(() => feed(pushLengthPrefixed, [prefix], 1000)).toThrow(/exceeds the limit/);
  });
});

describe('raw framing', () => {
  it('passes chunks through and bounds them', () => {
    const out: string[] = [];
    pushRaw(Buffer.from('chunk'), 10, (p, o) => o.push(p.toString()), out);
    expect(out).toEqual(['chunk']);
    expect(() => pushRaw(Buffer.alloc(11), 10, () => {}, out)).toThrow();
  });
});
