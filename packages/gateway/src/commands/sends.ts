import { Op } from '@gateworker/protocol';
import type { Client } from '../client.js';
import { clientOrNull, type CommandHandler } from './context.js';

function excludeSet(exclude: readonly number[]): ReadonlySet<number> | null {
  return exclude.length === 0 ? null : new Set(exclude);
}

export const sendToClient: CommandHandler<typeof Op.SendToClient> = (m, _from, ctx) => {
  const client = clientOrNull(ctx, m.client, 'SendToClient');
  if (client !== null) ctx.outbound.send(client, m.payload, m.binary);
};

export const sendToClients: CommandHandler<typeof Op.SendToClients> = (m, _from, ctx) => {
  const clients: Client[] = [];
  for (const num of m.clients) {
    const client = clientOrNull(ctx, num, 'SendToClients');
    if (client !== null) clients.push(client);
  }
  ctx.outbound.broadcast(clients, m.payload, m.binary, null);
};

export const sendToAll: CommandHandler<typeof Op.SendToAll> = (m, _from, ctx) => {
  ctx.outbound.broadcast(ctx.table.values(), m.payload, m.binary, excludeSet(m.exclude));
};

export const sendToUids: CommandHandler<typeof Op.SendToUids> = (m, _from, ctx) => {
  // A client has at most one uid, so the union has no duplicates.
  const clients: Client[] = [];
  for (const uid of m.uids) ctx.table.forEachOfUid(uid, (c) => clients.push(c));
  ctx.outbound.broadcast(clients, m.payload, m.binary, null);
};

export const sendToGroups: CommandHandler<typeof Op.SendToGroups> = (m, _from, ctx) => {
  const exclude = excludeSet(m.exclude);
  if (m.groups.length === 1) {
    const members = ctx.table.groupMembers(m.groups[0] as string);
    if (members !== undefined) ctx.outbound.broadcast(members, m.payload, m.binary, exclude);
    return;
  }
  // A client in several of the groups gets the message once.
  const union = new Set<Client>();
  for (const group of m.groups) {
    const members = ctx.table.groupMembers(group);
    if (members !== undefined) for (const c of members) union.add(c);
  }
  ctx.outbound.broadcast(union, m.payload, m.binary, exclude);
};
