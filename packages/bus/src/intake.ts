import type { LocalCommand } from '@gateworker/gateway';
import { parseClientId } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import { parseBusMessage, RejectReason, type BusCommand } from './message.js';
import { REJECT_SAMPLE_CHARS } from './options.js';
import type { BridgeCounters, BridgeKind } from './stats.js';
import type { BusTarget } from './target.js';
import { TimedLog } from './timed-log.js';

export interface IntakeOptions {
  readonly bridge: BridgeKind;
  readonly target: BusTarget;
  readonly maxMessageBytes: number;
  readonly rejectLogIntervalMs: number;
  readonly counters: BridgeCounters;
  readonly log: Logger;
}

/**
 * Where a bridge hands each message body: size check, parse, validate, apply to this gateway's
 * clients. Bad messages are counted by reason and logged at most once per interval with a
 * sample; nothing a publisher sends can throw out of here.
 */
export class Intake {
  private readonly rejects: TimedLog;

  constructor(private readonly o: IntakeOptions) {
    this.rejects = new TimedLog(o.log, o.rejectLogIntervalMs);
  }

  handle(body: Buffer): void {
    const c = this.o.counters;
    c.received++;
    if (body.length > this.o.maxMessageBytes) {
      this.reject(RejectReason.TooLarge, `${body.length} bytes, more than the limit of ${this.o.maxMessageBytes}`, body);
      return;
    }
    const text = body.toString('utf8');
    const parsed = parseBusMessage(text);
    if (!parsed.ok) {
      this.reject(parsed.reason, parsed.detail, body);
      return;
    }
    c.applied++;
    const local = toLocal(parsed.command, this.o.target.gatewayId);
    if (local !== null) c.deliveries += this.o.target.applyLocal(local);
  }

  private reject(reason: RejectReason, detail: string, body: Buffer): void {
    this.o.counters.rejected[reason]++;
    // The sample is cut before decoding so a huge message costs nothing here.
    this.rejects.warn(
      'reject',
      () => ({
        bridge: this.o.bridge,
        reason,
        detail,
        bytes: body.length,
        sample: body
          .subarray(0, REJECT_SAMPLE_CHARS * 4)
          .toString('utf8')
          .slice(0, REJECT_SAMPLE_CHARS),
      }),
      'bus message ignored (at most one such line per interval; see gateworker_bus_rejected_total)',
    );
  }
}

/** Client numbers of the ids that belong to `gatewayId` (other gateways' ids are theirs to apply). */
function ownNumbers(ids: readonly string[], gatewayId: string): number[] {
  const out: number[] = [];
  for (const id of ids) {
    const parsed = parseClientId(id);
    if (parsed !== null && parsed.gatewayId === gatewayId) out.push(parsed.client);
  }
  return out;
}

/** The part of a bus command that concerns this gateway's clients, or null when none can. */
export function toLocal(cmd: BusCommand, gatewayId: string): LocalCommand | null {
  switch (cmd.op) {
    case 'sendToAll':
      return { op: 'sendToAll', payload: cmd.payload, binary: cmd.binary, exclude: ownNumbers(cmd.exclude, gatewayId) };
    case 'sendToUid':
      return { op: 'sendToUids', uids: cmd.uids, payload: cmd.payload, binary: cmd.binary };
    case 'sendToGroup':
      return { op: 'sendToGroups', groups: cmd.groups, payload: cmd.payload, binary: cmd.binary, exclude: ownNumbers(cmd.exclude, gatewayId) };
    case 'sendToClient': {
      const clients = ownNumbers(cmd.ids, gatewayId);
      return clients.length === 0 ? null : { op: 'sendToClients', clients, payload: cmd.payload, binary: cmd.binary };
    }
    case 'closeClient': {
      const [client] = ownNumbers([cmd.id], gatewayId);
      return client === undefined ? null : { op: 'closeClient', client, payload: cmd.payload, binary: cmd.binary };
    }
  }
}
