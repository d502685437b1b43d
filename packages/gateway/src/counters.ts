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
  /** Messages written to client sockets (a broadcast to n clients counts n). */
  messagesOut = 0;
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

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}
