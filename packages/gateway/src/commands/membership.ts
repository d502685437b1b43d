import { Op } from '@gateworker/protocol';
import { clientOrNull, type CommandHandler } from './context.js';

/**
 * The uid travels with the session in events, under the same holder rule: a change made through
 * the holding link is already known to its worker; any other change makes the next event carry
 * the client's state again.
 */
export const bindUid: CommandHandler<typeof Op.BindUid> = (m, from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'BindUid');
  if (client === null) return;
  ctx.table.bindUid(client, m.uid);
  if (client.sessionHolder !== from.id) client.sessionHolder = 0;
};

export const unbindUid: CommandHandler<typeof Op.UnbindUid> = (m, from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'UnbindUid');
  if (client === null) return;
  ctx.table.unbindUid(client);
  if (client.sessionHolder !== from.id) client.sessionHolder = 0;
};

export const joinGroup: CommandHandler<typeof Op.JoinGroup> = (m, _from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'JoinGroup');
  if (client !== null) ctx.table.joinGroup(client, m.group);
};

export const leaveGroup: CommandHandler<typeof Op.LeaveGroup> = (m, _from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'LeaveGroup');
  if (client !== null) ctx.table.leaveGroup(client, m.group);
};

export const ungroup: CommandHandler<typeof Op.Ungroup> = (m, _from, ctx) => {
  ctx.table.ungroup(m.group);
};
