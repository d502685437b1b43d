import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectWs, type WsClient } from './clients.js';
import { Inbox } from './inbox.js';
import { within } from './wait.js';

/** Source of test/fixtures/ops-handler.mjs: exposes the cluster API to test clients. */
export const OPS_HANDLER = readFileSync(resolve(import.meta.dirname, '../fixtures/ops-handler.mjs'), 'utf8');

export interface Reply {
  re: number;
  ok: boolean;
  result?: unknown;
  code?: string | null;
  message?: string;
  missing?: unknown;
}

/**
 * A ws client talking to the ops handler: `call(op, ...args)` awaits the matching reply; every
 * other message (pushes from sendToUid, sendToGroup, onClose reports…) goes to `pushes`.
 */
export class RpcClient {
  private tag = 0;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private readonly pushed = new Inbox<string>();
  id = '';

  private constructor(readonly ws: WsClient) {
    ws.ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (text.startsWith('{"re":')) {
        const reply = JSON.parse(text) as Reply;
        this.waiting.get(reply.re)?.(reply);
        this.waiting.delete(reply.re);
        return;
      }
      this.pushed.push(text);
    });
  }

  static async connect(url: string): Promise<RpcClient> {
    const ws = await connectWs(url);
    ws.ws.removeAllListeners('message');
    const client = new RpcClient(ws);
    client.id = ((await client.call('whoami')) as { id: string }).id;
    return client;
  }

  /** Raw reply (ok or not). */
  request(op: string, ...args: unknown[]): Promise<Reply> {
    const tag = ++this.tag;
    const reply = new Promise<Reply>((resolvePromise) => this.waiting.set(tag, resolvePromise));
    this.ws.send(JSON.stringify({ tag, op, args }));
    return within(reply, 10_000, `a reply to ${op}`).finally(() => this.waiting.delete(tag));
  }

  /** Result of a successful call; throws with the handler's error otherwise. */
  async call(op: string, ...args: unknown[]): Promise<unknown> {
    const r = await this.request(op, ...args);
    if (!r.ok) throw Object.assign(new Error(`${op} failed: ${r.code} ${r.message}`), { reply: r });
    return r.result;
  }

  /** Next pushed (non-reply) message. */
  nextPush(timeoutMs = 5_000): Promise<string> {
    return this.pushed.next(timeoutMs, 'push');
  }

  /** Pushed messages not yet taken. */
  pushes(): string[] {
    return this.pushed.drain();
  }

  close(): Promise<void> {
    return this.ws.close();
  }
}

/** Gateway part of a client id (the first 12 characters). */
export function gatewayOf(clientId: string): string {
  return clientId.slice(0, 12);
}
