import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { Inbox } from './inbox.js';
import { eachLine } from './log-follower.js';

/**
 * Test clients that queue what they receive, so a test awaits the next message with a timeout
 * instead of sleeping.
 */

/** A ws message as received: its bytes and whether it came as a binary frame. */
export interface WsFrame {
  data: Buffer;
  binary: boolean;
}

export interface WsClient {
  ws: WebSocket;
  /** Next message as text (a binary one is delivered as its UTF-8 text). */
  next(timeoutMs?: number): Promise<string>;
  /** Next message parsed as JSON. */
  nextJson<T = unknown>(timeoutMs?: number): Promise<T>;
  /** Next message with its frame type. */
  nextFrame(timeoutMs?: number): Promise<WsFrame>;
  send(data: string | Buffer): void;
  /** Takes the messages received and not yet taken, as text. */
  pending(): string[];
  /** Resolves with the close code and reason once the server (or we) closed. */
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** A ws client (no compression offered: the gateway does not negotiate it). */
export async function connectWs(url: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<WsClient> {
  const ws = new WebSocket(url, { headers: options.headers ?? {}, perMessageDeflate: false });
  const inbox = new Inbox<WsFrame>();
  ws.on('message', (data: Buffer, binary: boolean) => inbox.push({ data, binary }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ws connect to ${url} timed out`)), options.timeoutMs ?? 5_000);
    ws.once('open', () => (clearTimeout(timer), resolve()));
    ws.once('error', (err) => (clearTimeout(timer), reject(err)));
  });
  ws.on('error', () => {});
  const nextFrame = (timeoutMs = 5_000) => inbox.next(timeoutMs, 'ws message');
  return {
    ws,
    next: async (timeoutMs) => (await nextFrame(timeoutMs)).data.toString('utf8'),
    nextJson: async <T>(timeoutMs?: number) => JSON.parse((await nextFrame(timeoutMs)).data.toString('utf8')) as T,
    nextFrame,
    send: (data) => ws.send(data),
    pending: () => inbox.drain().map((f) => f.data.toString('utf8')),
    closed,
    close: async () => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await closed;
    },
  };
}

export interface LineClient {
  socket: Socket;
  next(timeoutMs?: number): Promise<string>;
  send(line: string): void;
  closed: Promise<void>;
  close(): Promise<void>;
}

/** A raw TCP client speaking the `line` framing. */
export async function connectLine(port: number, host = '127.0.0.1'): Promise<LineClient> {
  const socket = connect({ port, host });
  const inbox = new Inbox<string>();
  eachLine(socket, (line) => inbox.push(line));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    next: (timeoutMs = 5_000) => inbox.next(timeoutMs, 'line'),
    send: (line) => socket.write(line + '\n'),
    closed,
    close: async () => {
      socket.end();
      await closed;
    },
  };
}
