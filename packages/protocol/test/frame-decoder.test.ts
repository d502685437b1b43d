import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  DEFAULT_MAX_FRAME_BYTES,
  encodeMessage,
  encodeSendToClient,
  ErrorCode,
  FrameDecoder,
  ProtocolError,
} from '@gateworker/protocol';
import type { Message } from '@gateworker/protocol';
import { allSamples, expectProtocolError, prng, randInt } from './helpers.js';

/** Every sample plus a few larger frames, encoded back to back. */
const messages: Message[] = [...allSamples, { op: 40, client: 5, binary: true, payload: Buffer.alloc(70_000, 0x5a) }, ...allSamples];
const stream = Buffer.concat(messages.map((m) => encodeMessage(m)));

/** Feeds `chunks` to a fresh decoder and decodes every frame. */
function decodeChunks(chunks: Iterable<Buffer>, decoder = new FrameDecoder()): Message[] {
  const out: Message[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => out.push(decodeMessage(frame)));
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

function* splitAt(buf: Buffer, cuts: readonly number[]): Generator<Buffer> {
  let start = 0;
  for (const cut of cuts) {
    yield buf.subarray(start, cut);
    start = cut;
  }
  yield buf.subarray(start);
}

function* byteByByte(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i++) yield buf.subarray(i, i + 1);
}

/** Compares decoded messages without vitest's slow element-wise diff of big buffers. */
function expectSameMessages(actual: Message[], expected: Message[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(encodeMessage(actual[i] as Message).equals(encodeMessage(expected[i] as Message)), `message ${i}`).toBe(true);
  }
}

describe('FrameDecoder', () => {
  it('decodes many frames arriving in one chunk', () => {
    expect(decodeChunks([stream])).toEqual(messages); // one deep comparison, the rest compare bytes
  });

  it('decodes the stream fed byte by byte', () => {
    expectSameMessages(decodeChunks(byteByByte(stream)), messages);
  });

  it('decodes the stream across random splits (seeded)', () => {
    const rand = prng(0x5eed);
    for (let round = 0; round < 300; round++) {
      const count = randInt(rand, 1, 40);
      const cuts = Array.from({ length: count }, () => randInt(rand, 0, stream.length)).sort((a, b) => a - b);
      expectSameMessages(decodeChunks(splitAt(stream, cuts)), messages);
    }
  });

  it('decodes every two-way split of a small stream', () => {
    const small = Buffer.concat(allSamples.slice(0, 12).map((m) => encodeMessage(m)));
    for (let cut = 0; cut <= small.length; cut++) {
      expectSameMessages(decodeChunks(splitAt(small, [cut])), allSamples.slice(0, 12));
    }
  });

  it('yields a frame that arrives whole as a view of the chunk (no copy)', () => {
    const chunk = encodeSendToClient(1, false, Buffer.from('abc'));
    const frames: Buffer[] = [];
    new FrameDecoder().push(chunk, (f) => frames.push(f));
    expect(frames[0]?.buffer).toBe(chunk.buffer);
  });

  it('copies partial frames, so a reused input buffer does not corrupt them', () => {
    const frame = encodeSendToClient(1, false, Buffer.from('hello'));
    const decoder = new FrameDecoder();
    const first = Buffer.from(frame.subarray(0, 8));
    const out: Message[] = [];
    decoder.push(first, (f) => out.push(decodeMessage(f)));
    first.fill(0);
    decoder.push(frame.subarray(8), (f) => out.push(decodeMessage(f)));
    expect(out).toEqual([{ op: 40, client: 1, binary: false, payload: Buffer.from('hello') }]);
  });

  it('reports the bytes it holds for an incomplete frame', () => {
    const decoder = new FrameDecoder();
    const frame = encodeSendToClient(1, false, Buffer.alloc(100));
    decoder.push(frame.subarray(0, 3), () => {});
    expect(decoder.bufferedBytes).toBe(3);
    decoder.push(frame.subarray(3, 50), () => {});
    expect(decoder.bufferedBytes).toBe(50);
    let frames = 0;
    decoder.push(frame.subarray(50), () => frames++);
    expect(frames).toBe(1);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts an empty chunk', () => {
    expectSameMessages(decodeChunks([Buffer.alloc(0), stream.subarray(0, 2), Buffer.alloc(0), stream.subarray(2)]), messages);
  });

  it('defaults to a 16 MiB limit', () => {
    expect(new FrameDecoder().maxFrameBytes).toBe(DEFAULT_MAX_FRAME_BYTES);
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(16 * 1024 * 1024);
  });
});

describe('FrameDecoder limits', () => {
  const prefix = (length: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(length >>> 0, 0);
    return b;
  };

  it('accepts a frame of exactly maxFrameBytes', () => {
    const frame = encodeSendToClient(1, true, Buffer.alloc(100 - 8));
    expect(frame.length - 4).toBe(100);
    let frames = 0;
    new FrameDecoder(100).push(frame, () => frames++);
    expect(frames).toBe(1);
  });

  it('throws GW_ERR_FRAME_TOO_LARGE as soon as the prefix is known, then refuses further input', () => {
    const decoder = new FrameDecoder(100);
    const onFrame = (): void => {
      throw new Error('no frame expected');
    };
    decoder.push(prefix(101).subarray(0, 3), onFrame);
    const err = expectProtocolError(() => decoder.push(prefix(101).subarray(3), onFrame), ErrorCode.FrameTooLarge);
    expect(err.wire).toBe(1);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(4); // the body was never buffered
    // Any further input, even a valid frame, is refused with the same error.
    const again = expectProtocolError(() => decoder.push(encodeSendToClient(1, true, Buffer.alloc(1)), onFrame), ErrorCode.FrameTooLarge);
    expect(again).toBe(err);
  });

  it('throws on an oversized prefix that follows valid frames in the same chunk, after yielding them', () => {
    const decoder = new FrameDecoder(1000);
    const frames: Buffer[] = [];
    const ok = encodeSendToClient(1, true, Buffer.alloc(5));
    const chunk = Buffer.concat([ok, ok, prefix(0xffffffff)]);
    expectProtocolError(() => decoder.push(chunk, (f) => frames.push(f)), ErrorCode.FrameTooLarge);
    expect(frames.length).toBe(2);
  });

  it('treats a zero-length frame as malformed and refuses further input', () => {
    const decoder = new FrameDecoder();
    const err = expectProtocolError(() => decoder.push(prefix(0), () => {}), ErrorCode.MalformedFrame);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.wire).toBe(2);
    expectProtocolError(() => decoder.push(encodeSendToClient(1, true, Buffer.alloc(1)), () => {}), ErrorCode.MalformedFrame);
  });

  it('detects a zero-length frame split byte by byte', () => {
    const decoder = new FrameDecoder();
    const bytes = Buffer.concat([encodeSendToClient(1, true, Buffer.alloc(1)), prefix(0)]);
    let frames = 0;
    let caught: unknown;
    try {
      for (const b of byteByByte(bytes)) decoder.push(b, () => frames++);
    } catch (err) {
      caught = err;
    }
    expect(frames).toBe(1);
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe(ErrorCode.MalformedFrame);
  });
});
