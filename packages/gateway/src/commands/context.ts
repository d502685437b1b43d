import type { MessageOf, Op } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import type { Client, CloseReason } from '../client.js';
import type { ClientTable } from '../client-table.js';
import type { Counters } from '../counters.js';
import type { Outbound } from '../outbound.js';
import type { WorkerLink } from '../worker-link.js';

/** What command handlers may touch. The gateway provides it; unit tests provide fakes. */
export interface CommandContext {
  readonly gatewayId: string;
  readonly table: ClientTable<Client>;
  readonly outbound: Outbound;
  readonly counters: Counters;
  readonly log: Logger;
  /** Sends `data` (already framed for this client, or null) and closes the client. */
  closeClient(client: Client, why: CloseReason, data: Buffer | null): void;
  /** Flow control, handled by the gateway's dispatcher. */
  ack(link: WorkerLink, seq: number): void;
  ackRanges(link: WorkerLink, ranges: readonly number[]): void;
  workerReady(link: WorkerLink, workerId: string, pid: number): void;
  /** Command streams: the sender (re)opens its stream on this link. */
  streamResume(link: WorkerLink, sender: string, first: number): void;
  drain(link: WorkerLink): void;
}

export type CommandHandler<O extends Op> = (message: MessageOf<O>, from: WorkerLink, ctx: CommandContext) => void;

/** Looks a client up by number; a gone client is logged (debug) and counted, and the command ignored. */
export function clientOrNull(ctx: CommandContext, num: number, what: string): Client | null {
  const client = ctx.table.get(num);
  if (client !== undefined) return client;
  ctx.counters.commandsForGoneClients++;
  ctx.log.debug({ client: num, command: what }, 'command for a client that is gone: ignored');
  return null;
}
