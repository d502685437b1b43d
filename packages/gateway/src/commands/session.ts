import { decodeSession, mergeSessionBytes, Op } from '@gateworker/protocol';
import { clientOrNull, type CommandHandler } from './context.js';

/**
 * SetSession from link L stores the bytes and makes L the holder (it has this version); any
 * other change (UpdateSession, or SetSession from a GatewayClient link) clears the holder, so
 * the next event carries the session.
 */
export const setSession: CommandHandler<typeof Op.SetSession> = (m, from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'SetSession');
  if (client === null) return;
  try {
    decodeSession(m.session);
  } catch (err) {
    // The one failure behaviour of the session codec: the stored session stays as it was.
    ctx.log.warn({ client: m.client, link: from.id, err }, 'SetSession with a session that is not a msgpack plain object: ignored');
    return;
  }
  // A copy that pins nothing (the message's bytes are a view into the link's read buffer).
  client.session = Buffer.from(m.session);
  client.sessionHolder = from.role === 'worker' ? from.id : 0;
};

export const updateSession: CommandHandler<typeof Op.UpdateSession> = (m, from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'UpdateSession');
  if (client === null) return;
  try {
    client.session = mergeSessionBytes(client.session, m.patch);
  } catch (err) {
    ctx.log.warn({ client: m.client, link: from.id, err }, 'UpdateSession with a patch that is not a msgpack plain object: ignored');
    return;
  }
  client.sessionHolder = 0;
};
