import { Op, ProtocolError } from '@gateworker/protocol';
import type { QueryArgs, QueryKind, QueryMsg, QueryReplyMsg } from '@gateworker/protocol';
import type { PartialResult } from './cluster-api-types.js';
import { QueryFailedError, QueryTimeoutError } from './errors.js';
import { DurationHistogram, nowMs, type HistogramSnapshot } from './stats.js';

/** Where a query can be sent: a gateway of the list and its link (null when not connected). */
export interface QueryTarget {
  readonly gatewayId: string;
  /** `<gatewayId>@<address>`, for errors. */
  readonly label: string;
  readonly session: QuerySession | null;
}

/** The part of a link session queries need. */
export interface QuerySession {
  readonly alive: boolean;
  sendMessage(message: QueryMsg): boolean;
}

/** One gateway's answer. */
export interface Answer {
  readonly gatewayId: string;
  readonly result: unknown;
}

export interface AskOptions {
  /** For errors: the API method, e.g. "getAllClientCount". */
  readonly name: string;
  readonly timeoutMs: number;
  readonly partial: boolean;
}

/** All the gateways asked in one query call. */
interface Round {
  remaining: number;
  readonly answers: Answer[];
  readonly missing: string[];
  /** The first gateway that answered with an error: its text, and the error its wire code names. */
  failure: { label: string; reason: string; error: ProtocolError } | null;
  finish(): void;
}

interface Pending {
  readonly round: Round;
  readonly session: QuerySession;
  readonly target: QueryTarget;
}

/**
 * Request/response bookkeeping for queries: one id per (query, gateway), one timer per query.
 * A gateway that is not connected, whose link closes, or that does not answer in time is
 * "missing": the query then rejects with a QueryTimeoutError naming every missing gateway, or
 * (partial) resolves with what the others answered.
 */
export class QueryManager {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Round-trip durations per API method (every gateway answered, or the timeout), for metrics. */
  readonly durations = new Map<string, DurationHistogram>();

  /** Durations per API method. */
  snapshot(): Record<string, HistogramSnapshot> {
    const out: Record<string, HistogramSnapshot> = {};
    for (const [name, h] of this.durations) out[name] = h.snapshot();
    return out;
  }

  ask<K extends QueryKind, T>(
    targets: readonly QueryTarget[],
    kind: K,
    args: QueryArgs<K>,
    options: AskOptions,
    merge: (answers: readonly Answer[]) => T,
  ): Promise<T | PartialResult<T>> {
    const started = nowMs();
    let histogram = this.durations.get(options.name);
    if (histogram === undefined) this.durations.set(options.name, (histogram = new DurationHistogram()));
    const measured = histogram;
    return new Promise((resolve, reject) => {
      const ids: number[] = [];
      const round: Round = {
        remaining: 0,
        answers: [],
        missing: [],
        failure: null,
        finish: () => {
          clearTimeout(timer);
          measured.observe((nowMs() - started) / 1000);
          for (const id of ids) {
            const p = this.pending.get(id);
            if (p !== undefined && p.round === round) {
              this.pending.delete(id);
              round.missing.push(p.target.label);
            }
          }
          if (round.failure !== null) {
            reject(new QueryFailedError(options.name, round.failure.label, round.failure.reason, round.failure.error));
            return;
          }
          let result: T;
          try {
            result = merge(round.answers);
          } catch (err) {
            reject(new QueryFailedError(options.name, 'some gateway', `malformed answer: ${err instanceof Error ? err.message : String(err)}`));
            return;
          }
          if (round.missing.length === 0) resolve(result);
          else if (options.partial) resolve({ partial: true, missing: round.missing, result });
          else reject(new QueryTimeoutError(options.name, round.missing, options.timeoutMs));
        },
      };
      const timer = setTimeout(() => round.finish(), options.timeoutMs);
      for (const target of targets) {
        const session = target.session;
        if (session === null || !session.alive) {
          round.missing.push(target.label);
          continue;
        }
        const id = this.nextId;
        this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
        if (!session.sendMessage({ op: Op.Query, id, kind, args })) {
          round.missing.push(target.label);
          continue;
        }
        ids.push(id);
        this.pending.set(id, { round, session, target });
        round.remaining++;
      }
      if (round.remaining === 0) round.finish();
    });
  }

  /** A QueryReply arrived on `session`. */
  onReply(session: QuerySession, reply: QueryReplyMsg): void {
    const p = this.pending.get(reply.id);
    if (p === undefined || p.session !== session) return; // late (timed out) or from another link
    this.pending.delete(reply.id);
    const round = p.round;
    // The wire code names the catalogued error (GW_ERR_INVALID_QUERY, …); the text is for humans.
    if (reply.error !== null) {
      round.failure ??= { label: p.target.label, reason: reply.error, error: ProtocolError.fromWire(reply.code, reply.error) };
    } else round.answers.push({ gatewayId: p.target.gatewayId, result: reply.result });
    if (--round.remaining === 0) round.finish();
  }

  /** The link closed: its unanswered queries count as missing now rather than at their timeout. */
  sessionClosed(session: QuerySession): void {
    const rounds = new Set<Round>();
    for (const [id, p] of this.pending) {
      if (p.session !== session) continue;
      this.pending.delete(id);
      p.round.missing.push(p.target.label);
      p.round.remaining--;
      rounds.add(p.round);
    }
    for (const round of rounds) if (round.remaining === 0) round.finish();
  }

  /** Queries waiting for answers (for tests and status). */
  get size(): number {
    return this.pending.size;
  }

  /** Ends every query now (close): unanswered gateways count as missing. */
  abortAll(): void {
    const rounds = new Set<Round>();
    for (const p of this.pending.values()) rounds.add(p.round);
    for (const round of rounds) round.finish();
  }
}
