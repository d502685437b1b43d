import type { GatewayInfo, GatewayStats } from '@gateworker/protocol';
import { Lifecycle } from '@gateworker/protocol/node';

/** Where an announcer's records go: a backend this process holds, or the supervisor over IPC. */
export interface RecordSink {
  publish(info: GatewayInfo): void;
  unpublish(gatewayId: string): void;
}

function sameStats(a: GatewayStats, b: GatewayStats): boolean {
  return a.clients === b.clients && a.uids === b.uids && a.groups === b.groups && a.workers === b.workers && a.pending === b.pending;
}

/**
 * A gateway's announcement on a discovery backend (the gateway package's GatewayAnnouncer,
 * structurally): the record goes out at once, then live stats at most every `intervalMs` and
 * only when they changed — every write reaches every watcher of the cluster, so the rate stays
 * low. close() withdraws the record (and runs `onClose`, e.g. ending a session this gateway holds).
 */
export class DiscoveryAnnouncer {
  private info: GatewayInfo | null = null;
  private latest: GatewayStats | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** close() idempotent: every call returns the same promise (see Lifecycle). */
  private readonly lifecycle = new Lifecycle();

  constructor(
    private readonly sink: RecordSink,
    private readonly intervalMs: number,
    private readonly onClose: () => Promise<void> = () => Promise.resolve(),
  ) {}

  announce(info: GatewayInfo): void {
    if (this.lifecycle.stopping) return;
    this.info = info;
    this.sink.publish(info);
    this.timer ??= setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  updateStats(stats: GatewayStats): void {
    this.latest = stats;
  }

  close(): Promise<void> {
    return this.lifecycle.close(() => {
      if (this.timer !== null) clearInterval(this.timer);
      this.timer = null;
      if (this.info !== null) this.sink.unpublish(this.info.gatewayId);
      return this.onClose();
    });
  }

  private flush(): void {
    const info = this.info;
    const stats = this.latest;
    if (info === null || stats === null || sameStats(info.stats, stats)) return;
    this.info = { ...info, stats };
    this.sink.publish(this.info);
  }
}
