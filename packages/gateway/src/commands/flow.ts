import { ErrorCode, Op, ProtocolError, WireErrorCode } from '@gateworker/protocol';
import type { WorkerLink } from '../worker-link.js';
import type { CommandHandler } from './context.js';

/** Flow control is for worker links only; a GatewayClient sending it breaks the protocol. */
function requireWorker(from: WorkerLink, what: string): void {
  if (from.role !== 'worker') {
    throw new ProtocolError(ErrorCode.Unexpected, `${what} from a ${from.role} link (only workers receive client events)`, {
      wire: WireErrorCode.Unexpected,
    });
  }
}

export const ack: CommandHandler<typeof Op.Ack> = (m, from, ctx) => {
  requireWorker(from, 'Ack');
  ctx.ack(from, m.seq);
};

export const ackRanges: CommandHandler<typeof Op.AckRanges> = (m, from, ctx) => {
  requireWorker(from, 'AckRanges');
  ctx.ackRanges(from, m.ranges);
};

export const workerReady: CommandHandler<typeof Op.WorkerReady> = (m, from, ctx) => {
  requireWorker(from, 'WorkerReady');
  ctx.workerReady(from, m.workerId, m.pid);
};

export const drain: CommandHandler<typeof Op.Drain> = (_m, from, ctx) => {
  requireWorker(from, 'Drain');
  ctx.drain(from);
};

export const streamResume: CommandHandler<typeof Op.StreamResume> = (m, from, ctx) => {
  if (from.streaming) {
    throw new ProtocolError(ErrorCode.Unexpected, 'StreamResume twice on one link', { wire: WireErrorCode.Unexpected });
  }
  ctx.streamResume(from, m.sender, m.first);
};
