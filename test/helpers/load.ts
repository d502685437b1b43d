import WebSocket from 'ws';

/**
 * A client that sends numbered requests one after another (`<prefix>:<n>`) and counts the replies
 * (`echo:<prefix>:<n>`): answered, duplicated (a reply for a number already answered), latencies.
 * Replies that arrive out of order or twice are recorded, never treated as the awaited one.
 */
export class SteadyClient {
  sent = 0;
  answered = 0;
  duplicates = 0;
  /** Requests that got no reply within the per-request timeout. */
  timeouts = 0;
  readonly latenciesMs: number[] = [];
  closeCode: number | null = null;
  private readonly seen = new Set<number>();
  private waiting: { n: number; resolve: () => void } | null = null;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly ws: WebSocket,
    readonly prefix: string,
  ) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const head = `echo:${prefix}:`;
      if (!text.startsWith(head)) return;
      const n = Number(text.slice(head.length));
      if (this.seen.has(n)) {
        this.duplicates++;
        return;
      }
      this.seen.add(n);
      if (this.waiting?.n === n) this.waiting.resolve();
    });
    ws.on('close', (code) => (this.closeCode = code));
    ws.on('error', () => {});
  }

  static async open(url: string, prefix: string): Promise<SteadyClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SteadyClient(ws, prefix);
  }

  /** Starts the request loop: one request in flight, the next after its reply (or its timeout). */
  start(timeoutMs = 10_000, pauseMs = 5): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running && this.ws.readyState === WebSocket.OPEN) {
        const n = this.sent++;
        const t0 = performance.now();
        const got = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          this.waiting = { n, resolve: () => (clearTimeout(timer), resolve(true)) };
          if (this.seen.has(n)) this.waiting.resolve();
          this.ws.send(`${this.prefix}:${n}`);
        });
        this.waiting = null;
        if (got) {
          this.answered++;
          this.latenciesMs.push(performance.now() - t0);
        } else {
          this.timeouts++;
        }
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The p-th percentile (0–100) of the values, or NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
