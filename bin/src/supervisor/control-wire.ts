import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';

/**
 * Wire of the control channel: newline-delimited JSON, one exchange per connection, both sides
 * proving knowledge of the token without sending it (so a fake socket learns nothing):
 *
 *   supervisor → client   {"gateworker":"control","v":1,"nonce":S}
 *   client → supervisor   {"nonce":C,"body":"<request JSON>","proof":HMAC(token, "gateworker/control/request" ‖ S ‖ C ‖ body)}
 *   supervisor → client   {"body":"<answer JSON>","proof":HMAC(token, "gateworker/control/answer" ‖ S ‖ C ‖ body)}
 *
 * Each part of the MAC input is prefixed by its byte length (4 bytes, big endian), as in the
 * internal links' handshake, so no two different inputs concatenate the same.
 */

export const CONTROL_WIRE_VERSION = 1;
/** Bytes of each nonce. */
export const NONCE_BYTES = 16;
/** Longest line either side accepts, in bytes (a request, an answer with a status table). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

export type ProofLabel = 'gateworker/control/request' | 'gateworker/control/answer';

export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

export function proof(token: Buffer, label: ProofLabel, serverNonce: string, clientNonce: string, body: string): string {
  const mac = createHmac('sha256', token);
  for (const part of [label, serverNonce, clientNonce, body]) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    mac.update(length).update(bytes);
  }
  return mac.digest('hex');
}

export function proofMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

/**
 * Reads newline-terminated lines from a socket, at most `maxBytes` each; `onLine` gets each line,
 * `onOverflow` fires once if a line grows past the limit (the caller closes the socket).
 */
export function readLines(socket: Socket, maxBytes: number, onLine: (line: string) => void, onOverflow: () => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      onLine(line);
    }
    if (Buffer.byteLength(buffer) > maxBytes) {
      buffer = '';
      socket.pause();
      onOverflow();
    }
  });
}

/** Parses a line as a JSON object, or null. */
export function parseObject(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
