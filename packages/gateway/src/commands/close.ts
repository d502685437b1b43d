import { Op } from '@gateworker/protocol';
import { CloseReasons } from '../client.js';
import { clientOrNull, type CommandHandler } from './context.js';

/** Sends the optional last message, then closes the client normally (ws 1000, tcp end). */
export const closeClient: CommandHandler<typeof Op.CloseClient> = (m, _from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'CloseClient');
  if (client === null || !client.isOpen) return;
  const data = m.data === null ? null : client.transport.frame(m.data, m.binary);
  ctx.closeClient(client, CloseReasons.Normal, data);
};
