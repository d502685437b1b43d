/**
 * Opcodes of the internal protocol. Numbers are part of the wire format: never renumber,
 * never reuse a retired number (comment it out instead).
 *
 * Ranges: 1–9 handshake and link control, 10–29 register, 30–39 gateway → worker client events,
 * 40–49 worker → gateway hot-path sends, 50–69 worker → gateway commands and queries,
 * 70–79 worker ⇄ gateway flow control, 80–89 worker ⇄ gateway command streams.
 */
export const Op = {
  // Handshake and link control (any link)
  Hello: 1,
  Auth: 2,
  AuthOk: 3,
  Error: 4,
  Ping: 5,
  Pong: 6,

  // Register links
  Announce: 10,
  GatewayStats: 11,
  Subscribe: 12,
  GatewayList: 13,
  GatewayUp: 14,
  GatewayDown: 15,
  WorkerStats: 16,
  StatusQuery: 17,
  StatusReply: 18,

  // Gateway → worker: client events (fixed binary header)
  ClientConnect: 30,
  ClientMessage: 31,
  ClientClose: 32,
  /** An event quarantined after worker.maxDeliveries worker deaths, for the handler's onPoison. */
  ClientPoison: 33,

  // Worker → gateway: sends (fixed binary header + raw payload)
  SendToClient: 40,
  SendToClients: 41,
  SendToAll: 42,
  SendToUids: 43,
  SendToGroups: 44,

  // Worker → gateway: commands (msgpack)
  BindUid: 50,
  UnbindUid: 51,
  JoinGroup: 52,
  LeaveGroup: 53,
  Ungroup: 54,
  CloseClient: 55,
  SetSession: 56,
  UpdateSession: 57,
  Query: 60,
  QueryReply: 61,

  // Worker ⇄ gateway flow control
  Ack: 70,
  WorkerReady: 71,
  Drain: 72,
  DrainAck: 73,
  /** Per-event acknowledgements: ranges of finished sequence numbers (replaces the cumulative Ack). */
  AckRanges: 74,

  // Worker / GatewayClient ⇄ gateway: command streams (re-sent after a reconnect, applied once)
  StreamResume: 80,
  StreamAck: 81,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

const names = new Map<number, string>(Object.entries(Op).map(([name, op]) => [op, name]));

/** Human name of an opcode, for logs and errors. */
export function opName(op: number): string {
  return names.get(op) ?? `op#${op}`;
}

export function isOp(op: number): op is Op {
  return names.has(op);
}
