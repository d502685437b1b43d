/**
 * Monotonic counters of one gateway process (plain fields: incremented on hot paths).
 * `Gateway.counters()` returns a snapshot.
 */
export class Counters {
  clientsAccepted = 0;
  /** Refused at accept: max connections, per-IP limit. */
  clientsRejected = 0;
  clientsClosed = 0;
  /** Client messages received (each forwarded as a ClientMessage event). */
  messagesIn = 0;
  /** Payload bytes of the client messages received (framing excluded). */
  bytesIn = 0;
  /** Messages written to client sockets (a broadcast to n clients counts n). */
  messagesOut = 0;
  /** Bytes written to client sockets, framing included (a broadcast to n clients counts n times). */
  bytesOut = 0;
  /** Events dropped because the pending buffer was full (policy 'drop'). */
  eventsDroppedNoWorker = 0;
  /** Clients closed because the pending buffer was full (policy 'close'). */
  pendingOverflowCloses = 0;
  slowClientCloses = 0;
  slowClientDrops = 0;
  oversizeMessages = 0;
  /** Unacknowledged events handed to another worker after a link was lost. */
  redeliveredEvents = 0;
  /** Events that had to wait in the gateway (no usable worker, a draining link, a full link window, a backlog). */
  eventsHeld = 0;
  /** Events quarantined after ending their worker worker.maxDeliveries times (handed to onPoison instead). */
  poisonEvents = 0;
  /** Clients closed because of a poisoned event (poison.policy 'close'). */
  poisonCloses = 0;
  /** Poison notifications dropped because their worker died in onPoison (never redelivered). */
  poisonNotificationsLost = 0;
  heartbeatTimeouts = 0;
  /** Commands naming a client that is gone (ignored). */
  commandsForGoneClients = 0;
  queries = 0;
  linksAccepted = 0;
  /** Internal connections that failed the handshake (wrong secret, version, role, timeout). */
  linksRefused = 0;
  /** Internal connections dropped at accept: too many still in the handshake (in total or from that address). */
  linksRefusedPreAuthLimit = 0;
  /** Internal links closed with an error (malformed frames, heartbeat timeout, protocol violations). */
  linksFailed = 0;
  /** Command streams opened or resumed (StreamResume). */
  streamResumes = 0;
  /** Re-sent stream ops skipped because they were applied already (each command applied at most once). */
  streamOpsDuplicate = 0;
  /** Stream ops arriving on a link superseded by the sender's newer link (skipped; re-sent there). */
  streamOpsStale = 0;
  /** Stream ops a sender resumed past without them ever being applied (dropped past its bounds). */
  streamOpsLost = 0;

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}

/** Why a listener refused a connection (the `reason` label of the refused counter). */
export type RefusalReason = 'max_connections' | 'max_connections_per_ip' | 'shutting_down';

/** Monotonic counters of one client listener; its open-connection count lives in its limits. */
export class ListenerCounters {
  accepted = 0;
  refusedMaxConnections = 0;
  refusedPerIp = 0;
  refusedShuttingDown = 0;
  messagesIn = 0;
  bytesIn = 0;

  refused(reason: RefusalReason): void {
    if (reason === 'max_connections') this.refusedMaxConnections++;
    else if (reason === 'max_connections_per_ip') this.refusedPerIp++;
    else this.refusedShuttingDown++;
  }
}

/** What `Gateway.snapshot()` reports about one listener. */
export interface ListenerSnapshot {
  url: string;
  clients: number;
  accepted: number;
  refused: Record<RefusalReason, number>;
  messagesIn: number;
  bytesIn: number;
}

export function listenerSnapshot(url: string, clients: number, c: ListenerCounters): ListenerSnapshot {
  return {
    url,
    clients,
    accepted: c.accepted,
    refused: { max_connections: c.refusedMaxConnections, max_connections_per_ip: c.refusedPerIp, shutting_down: c.refusedShuttingDown },
    messagesIn: c.messagesIn,
    bytesIn: c.bytesIn,
  };
}
