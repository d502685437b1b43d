import {
  ErrorCode,
  isSentBy,
  Op,
  opName,
  OpRoute,
  ProtocolError,
  WireErrorCode,
  type Message,
  type MessageOf,
  type RoutedOp,
} from '@gateworker/protocol';
import type { WorkerLink } from '../worker-link.js';
import { closeClient } from './close.js';
import type { CommandContext, CommandHandler } from './context.js';
import { ack, ackRanges, drain, peerError, streamResume, workerReady } from './flow.js';
import { bindUid, joinGroup, leaveGroup, unbindUid, ungroup } from './membership.js';
import { query } from './queries.js';
import { sendToAll, sendToClient, sendToClients, sendToGroups, sendToUids } from './sends.js';
import { setSession, updateSession } from './session.js';

export type { CommandContext } from './context.js';
export { runQuery } from './queries.js';

/** Messages a worker or GatewayClient may send to a gateway, as `OpRoute` in @gateworker/protocol declares them. */
export type InboundOp = RoutedOp<'worker' | 'client', 'gateway'>;

/** One handler per inbound opcode: a missing one is a compile error. */
const handlers: { [O in InboundOp]: CommandHandler<O> } = {
  [Op.SendToClient]: sendToClient,
  [Op.SendToClients]: sendToClients,
  [Op.SendToAll]: sendToAll,
  [Op.SendToUids]: sendToUids,
  [Op.SendToGroups]: sendToGroups,
  [Op.BindUid]: bindUid,
  [Op.UnbindUid]: unbindUid,
  [Op.JoinGroup]: joinGroup,
  [Op.LeaveGroup]: leaveGroup,
  [Op.Ungroup]: ungroup,
  [Op.CloseClient]: closeClient,
  [Op.SetSession]: setSession,
  [Op.UpdateSession]: updateSession,
  [Op.Query]: query,
  [Op.Ack]: ack,
  [Op.AckRanges]: ackRanges,
  [Op.WorkerReady]: workerReady,
  [Op.Drain]: drain,
  [Op.StreamResume]: streamResume,
  [Op.Error]: peerError,
};

/**
 * Executes one message from an internal link. Throws a ProtocolError for a message the gateway
 * never accepts, or not from this link's role (the caller fails that link with it).
 */
export function handleInbound(message: Message, from: WorkerLink, ctx: CommandContext): void {
  const handler = (handlers as Partial<Record<number, CommandHandler<InboundOp>>>)[message.op];
  if (handler === undefined) {
    throw new ProtocolError(ErrorCode.Unexpected, `a gateway does not accept ${opName(message.op)} messages`, { wire: WireErrorCode.Unexpected });
  }
  // E.g. flow control is for worker links only (GatewayClients never receive client events).
  if (!isSentBy(message.op, from.role)) {
    const senders = OpRoute[message.op].from.join(' / ');
    throw new ProtocolError(ErrorCode.Unexpected, `${opName(message.op)} from a ${from.role} link (only ${senders} send it)`, {
      wire: WireErrorCode.Unexpected,
    });
  }
  handler(message as MessageOf<InboundOp>, from, ctx);
}
