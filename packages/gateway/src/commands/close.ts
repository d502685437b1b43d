import { Op } from '@gateworker/protocol';
import { CloseReasons, type CloseReason } from '../client.js';
import { clientOrNull, type CommandHandler } from './context.js';

/** Close codes a server may send (RFC 6455 7.4): 1000–1003, 1007–1014, 3000–4999. */
export function isValidCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999));
}

/**
 * Sends the optional last message, then closes the client: ws with the given code/reason
 * (default 1000), tcp ends. An invalid code falls back to 1000.
 */
export const closeClient: CommandHandler<typeof Op.CloseClient> = (m, _from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'CloseClient');
  if (client === null || !client.isOpen) return;
  // code/reason are optional fields newer workers send (a rejected onWebSocketConnect uses 1008).
  const { code, reason } = m as { code?: number; reason?: string };
  let why: CloseReason = CloseReasons.Normal;
  if (code !== undefined && isValidCloseCode(code)) {
    why = { code, reason: typeof reason === 'string' && Buffer.byteLength(reason) <= 123 ? reason : '', abort: false };
  }
  const data = m.data === null ? null : client.transport.frame(m.data, m.binary);
  ctx.closeClient(client, why, data);
};
