import { Op } from '@gateworker/protocol';
import { clientOrNull, type CommandHandler } from './context.js';

export const bindUid: CommandHandler<typeof Op.BindUid> = (m, _from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'BindUid');
  if (client !== null) ctx.table.bindUid(client, m.uid);
};

export const unbindUid: CommandHandler<typeof Op.UnbindUid> = (m, _from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'UnbindUid');
  if (client !== null) ctx.table.unbindUid(client);
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
