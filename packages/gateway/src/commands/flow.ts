import { ErrorCode, Op, ProtocolError, WireErrorCode } from '@gateworker/protocol';
import type { CommandHandler } from './context.js';

export const ack: CommandHandler<typeof Op.Ack> = (m, from, ctx) => {
  ctx.ack(from, m.seq);
};

export const ackRanges: CommandHandler<typeof Op.AckRanges> = (m, from, ctx) => {
  ctx.ackRanges(from, m.ranges);
};

export const workerReady: CommandHandler<typeof Op.WorkerReady> = (m, from, ctx) => {
  ctx.workerReady(from, m.workerId, m.pid);
};

export const drain: CommandHandler<typeof Op.Drain> = (_m, from, ctx) => {
  ctx.drain(from);
};

export const streamResume: CommandHandler<typeof Op.StreamResume> = (m, from, ctx) => {
  if (from.streaming) {
    throw new ProtocolError(ErrorCode.Unexpected, 'StreamResume twice on one link', { wire: WireErrorCode.Unexpected });
  }
  ctx.streamResume(from, m.sender, m.first);
};

/** The worker or GatewayClient reports why it is closing the link: logged; its close follows. */
export const peerError: CommandHandler<typeof Op.Error> = (m, from, ctx) => {
  ctx.log.warn({ link: from.id, peerRole: from.role, wireCode: m.code }, `${from.role} reported an error: ${m.message}`);
  void from.link.close();
};
