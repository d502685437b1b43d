import { ErrorCode, Op, opName, ProtocolError, WireErrorCode, type Message, type MessageOf } from '@gateworker/protocol';
import type { WorkerLink } from '../worker-link.js';
import { closeClient } from './close.js';
import type { CommandContext, CommandHandler } from './context.js';
import { ack, ackRanges, drain, streamResume, workerReady } from './flow.js';
import { bindUid, joinGroup, leaveGroup, unbindUid, ungroup } from './membership.js';
import { query } from './queries.js';
import { sendToAll, sendToClient, sendToClients, sendToGroups, sendToUids } from './sends.js';
import { setSession, updateSession } from './session.js';

export type { CommandContext } from './context.js';
export { runQuery } from './queries.js';

/** Messages a worker or GatewayClient may send to a gateway. */
export type InboundOp =
  | typeof Op.SendToClient
  | typeof Op.SendToClients
  | typeof Op.SendToAll
  | typeof Op.SendToUids
  | typeof Op.SendToGroups
  | typeof Op.BindUid
  | typeof Op.UnbindUid
  | typeof Op.JoinGroup
  | typeof Op.LeaveGroup
  | typeof Op.Ungroup
  | typeof Op.CloseClient
  | typeof Op.SetSession
  | typeof Op.UpdateSession
  | typeof Op.Query
  | typeof Op.Ack
  | typeof Op.AckRanges
  | typeof Op.WorkerReady
  | typeof Op.Drain
  | typeof Op.StreamResume;

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
};

/**
 * Executes one message from an internal link. Throws a ProtocolError for a message the gateway
 * never accepts (the caller fails that link with it).
 */
export function handleInbound(message: Message, from: WorkerLink, ctx: CommandContext): void {
  const handler = (handlers as Partial<Record<number, CommandHandler<InboundOp>>>)[message.op];
  if (handler === undefined) {
    throw new ProtocolError(ErrorCode.Unexpected, `a gateway does not accept ${opName(message.op)} messages`, { wire: WireErrorCode.Unexpected });
  }
  handler(message as MessageOf<InboundOp>, from, ctx);
}
