import { GatewayError, GatewayErrorCode } from '../errors.js';

/**
 * TCP framings, pure: bytes in, messages out. Decoders survive any split of the input and never
 * buffer more than one message's worth (`maxBytes`); a longer message throws GW_ERR_MESSAGE_TOO_LARGE.
 *
 * - line:   messages end with "\n"; a trailing "\r" is stripped; the limit counts the bytes before "\n".
 * - length: a u32 big-endian byte count, then that many bytes.
 * - raw:    every chunk as received is one message.
 *
 * Decoder state lives in an `Inbound` that exists only while a message is incomplete, so an idle
 * client carries none. Messages are passed to `emit` as views: copy them to keep them.
 */

/** Receives each message; `target` is passed through so callers need no closure per chunk. */
export type Emit<T> = (payload: Buffer, target: T) => void;

/** Bytes of an incomplete message. */
export class Inbound {
  parts: Buffer[] = [];
  bytes = 0;
  /** length framing: total bytes (prefix included) needed before the message completes. */
  needed = 0;
}

function tooLarge(size: number, max: number): GatewayError {
  return new GatewayError(GatewayErrorCode.MessageTooLarge, `client message of ${size}+ bytes exceeds the limit of ${max} bytes`);
}

function keep(chunk: Buffer, from: number): Inbound {
  const state = new Inbound();
  // A tail of a larger chunk is copied so it does not pin the whole chunk.
  const rest = from === 0 ? chunk : Buffer.from(chunk.subarray(from));
  state.parts.push(rest);
  state.bytes = rest.length;
  return state;
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
}

export function pushLine<T>(state: Inbound | null, chunk: Buffer, maxBytes: number, emit: Emit<T>, target: T): Inbound | null {
  let start = 0;
  let nl = chunk.indexOf(10);
  if (state !== null) {
    // The buffered part holds no "\n" (it would have been emitted), so only the new chunk is searched.
    if (nl === -1) {
      if (state.bytes + chunk.length > maxBytes) throw tooLarge(state.bytes + chunk.length, maxBytes);
      state.parts.push(chunk);
      state.bytes += chunk.length;
      return state;
    }
    if (state.bytes + nl > maxBytes) throw tooLarge(state.bytes + nl, maxBytes);
    state.parts.push(chunk.subarray(0, nl));
    emit(stripCr(Buffer.concat(state.parts, state.bytes + nl)), target);
    start = nl + 1;
    nl = chunk.indexOf(10, start);
  }
  while (nl !== -1) {
    if (nl - start > maxBytes) throw tooLarge(nl - start, maxBytes);
    emit(stripCr(chunk.subarray(start, nl)), target);
    start = nl + 1;
    nl = chunk.indexOf(10, start);
  }
  if (start >= chunk.length) return null;
  if (chunk.length - start > maxBytes) throw tooLarge(chunk.length - start, maxBytes);
  return keep(chunk, start);
}

const PREFIX_BYTES = 4;

export function pushLengthPrefixed<T>(state: Inbound | null, chunk: Buffer, maxBytes: number, emit: Emit<T>, target: T): Inbound | null {
  let buf = chunk;
  if (state !== null) {
    state.parts.push(chunk);
    state.bytes += chunk.length;
    // A large message arriving in many chunks is joined once, not once per chunk.
    if (state.bytes < state.needed) return state;
    buf = Buffer.concat(state.parts, state.bytes);
  }
  let offset = 0;
  while (buf.length - offset >= PREFIX_BYTES) {
    const length = buf.readUInt32BE(offset);
    if (length > maxBytes) throw tooLarge(length, maxBytes);
    const end = offset + PREFIX_BYTES + length;
    if (end > buf.length) break;
    emit(buf.subarray(offset + PREFIX_BYTES, end), target);
    offset = end;
  }
  if (offset === buf.length) return null;
  const next = keep(buf, offset);
  const first = next.parts[0] as Buffer;
  next.needed = first.length >= PREFIX_BYTES ? PREFIX_BYTES + first.readUInt32BE(0) : PREFIX_BYTES;
  return next;
}

export function pushRaw<T>(chunk: Buffer, maxBytes: number, emit: Emit<T>, target: T): void {
  if (chunk.length > maxBytes) throw tooLarge(chunk.length, maxBytes);
  emit(chunk, target);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One outgoing line: payload + "\n". */
export function encodeLine(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 1);
  out.set(payload, 0);
  out[payload.length] = 10;
  return out;
}

/** One outgoing length-prefixed message. */
export function encodeLengthPrefixed(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, PREFIX_BYTES);
  return out;
}

/** Raw framing sends the payload as it is (a view, no copy). */
export function encodeRaw(payload: Uint8Array): Buffer {
  return asBuffer(payload);
}
