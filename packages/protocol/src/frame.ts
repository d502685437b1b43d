import { ProtocolError } from './errors.js';

/**
 * Framing: every frame is `u32 BE length` followed by `length` bytes, the first of which is the
 * opcode. The length never counts itself.
 */

export const FRAME_PREFIX_BYTES = 4;
/** Default largest frame (opcode + body) a decoder accepts, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Incremental frame decoder. Feed it chunks in any split; it calls `onFrame` with each complete
 * frame (opcode byte first). A frame arriving whole inside one chunk is passed as a view of that
 * chunk (no copy). A frame that announces more than `maxFrameBytes` makes `push` throw a
 * `ProtocolError` (code GW_ERR_FRAME_TOO_LARGE) before any of it is buffered; the decoder then
 * refuses further input, since the stream can no longer be trusted.
 */
export class FrameDecoder {
  /** Largest frame accepted; may be raised or lowered between chunks (a handshake accepts only small frames). */
  maxFrameBytes: number;
  /** Chunks received but not yet part of a complete frame (copied, so they pin nothing). */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Bytes `parts` must reach before a frame can complete: prefix + length once known, else the prefix. */
  private needed = 0;
  /** Set once a limit was broken: the stream position is lost for good. */
  private failed: ProtocolError | null = null;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.partsBytes;
  }

  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (this.failed !== null) throw this.failed;
    let buf = chunk;
    if (this.partsBytes > 0) {
      this.parts.push(chunk);
      this.partsBytes += chunk.length;
      // A large frame arriving in many chunks is joined once, not once per chunk.
      if (this.partsBytes < this.needed) return;
      buf = Buffer.concat(this.parts, this.partsBytes);
      this.parts = [];
      this.partsBytes = 0;
    }
    let offset = 0;
    const end = buf.length;
    while (end - offset >= FRAME_PREFIX_BYTES) {
      const length = this.checkedLength(buf, offset);
      const frameEnd = offset + FRAME_PREFIX_BYTES + length;
      if (frameEnd > end) break;
      const frame = buf.subarray(offset + FRAME_PREFIX_BYTES, frameEnd);
      offset = frameEnd;
      onFrame(frame);
    }
    if (offset < end) {
      const rest = Buffer.from(buf.subarray(offset));
      this.parts = [rest];
      this.partsBytes = rest.length;
      this.needed = rest.length >= FRAME_PREFIX_BYTES ? FRAME_PREFIX_BYTES + rest.readUInt32BE(0) : FRAME_PREFIX_BYTES;
    }
  }

  private checkedLength(buf: Buffer, offset: number): number {
    const length = buf.readUInt32BE(offset);
    if (length === 0) {
      this.failed = ProtocolError.malformed('zero-length frame (no opcode)');
      throw this.failed;
    }
    if (length > this.maxFrameBytes) {
      this.failed = ProtocolError.frameTooLarge(length, this.maxFrameBytes);
      throw this.failed;
    }
    return length;
  }
}

/** Writes a frame prefix for a frame of `length` bytes (opcode + body) at `offset`. */
export function writeFramePrefix(target: Buffer, length: number, offset = 0): void {
  target.writeUInt32BE(length, offset);
}
