import type { Op } from './opcodes.js';
import type { QueryKind } from './queries.js';

/**
 * The message set of the internal protocol, as a discriminated union on `op`.
 *
 * Client references between a worker and a gateway are the gateway-local client number
 * (`client`, an integer below 2^48): a worker routes by the client id's gateway part first, so the
 * gateway only needs its own number. Uids and groups are strings. Sessions travel as msgpack bytes
 * of a plain object and are stored as such by the gateway.
 */

/** Roles a connecting peer declares in its handshake. */
export type PeerRole = 'gateway' | 'worker' | 'client';
/** Roles of the accepting side of a link. */
export type ServerRole = 'register' | 'gateway';

export interface GatewayStats {
  clients: number;
  uids: number;
  groups: number;
  workers: number;
  /** Client events waiting for a worker (cold start, all workers gone, handover). */
  pending: number;
  /** The gateway's bus bridges (Redis, AMQP), when it runs any. */
  bus?: BusBridgeStats[];
}

/** One bus bridge of a gateway, as `status` shows it (see @gateworker/bus). */
export interface BusBridgeStats {
  /** redis | amqp */
  bridge: string;
  /** idle | connecting | ready | reconnecting | closed */
  state: string;
  connects: number;
  received: number;
  applied: number;
  deliveries: number;
  /** Messages ignored, by reason (too_large, not_json, unknown_op, invalid). */
  rejected: Record<string, number>;
}

/** A gateway process as the register knows it. `gatewayId` is new on every process start. */
export interface GatewayInfo {
  gatewayId: string;
  nodeId: string;
  /** host:port workers should dial (the advertised address, not necessarily the bind address). */
  address: string;
  processIndex: number;
  pid: number;
  stats: GatewayStats;
}

export type WorkerState = 'starting' | 'ready' | 'draining';

export interface WorkerInfo {
  workerId: string;
  nodeId: string;
  pid: number;
  state: WorkerState;
  /** Client events received and not yet finished. */
  inflight: number;
  /** Client events finished since the worker started. */
  handled: number;
  /** Gateways this worker has a ready link to. */
  gateways: number;
}

export interface ClusterStatus {
  register: { nodeId: string; pid: number; uptimeMs: number };
  gateways: GatewayInfo[];
  workers: WorkerInfo[];
}

/** What a worker learns about a client when it connects. */
export interface ConnectInfo {
  /** The listener's URL as configured, e.g. `ws://0.0.0.0:7272/ws`. */
  listener: string;
  remoteAddress: string;
  remotePort: number;
  /** WebSocket clients only: the upgrade request. */
  request: { url: string; headers: Record<string, string | string[]>; remoteAddress: string } | null;
}

// Handshake and link control
/**
 * `gatewayId`: a gateway states its id (a worker that dialled another gateway refuses the link).
 * `cluster`: the accepting side's cluster name when one is configured; absent means none.
 */
export interface HelloMsg {
  op: typeof Op.Hello;
  version: number;
  nonce: Uint8Array;
  role: ServerRole;
  nodeId: string;
  gatewayId?: string;
  cluster?: string;
}
/** `cluster`: the connecting side's cluster name when one is configured; both ends refuse a different one. */
export interface AuthMsg {
  op: typeof Op.Auth;
  version: number;
  role: PeerRole;
  nodeId: string;
  nonce: Uint8Array;
  proof: Uint8Array;
  cluster?: string;
}
export interface AuthOkMsg {
  op: typeof Op.AuthOk;
  proof: Uint8Array;
}
export interface ErrorMsg {
  op: typeof Op.Error;
  code: number;
  message: string;
}
export interface PingMsg {
  op: typeof Op.Ping;
  t: number;
}
export interface PongMsg {
  op: typeof Op.Pong;
  t: number;
}

// Register links
export interface AnnounceMsg {
  op: typeof Op.Announce;
  gateway: GatewayInfo;
}
export interface GatewayStatsMsg {
  op: typeof Op.GatewayStats;
  stats: GatewayStats;
}
export interface SubscribeMsg {
  op: typeof Op.Subscribe;
  worker: WorkerInfo | null;
}
export interface GatewayListMsg {
  op: typeof Op.GatewayList;
  gateways: GatewayInfo[];
}
export interface GatewayUpMsg {
  op: typeof Op.GatewayUp;
  gateway: GatewayInfo;
}
export interface GatewayDownMsg {
  op: typeof Op.GatewayDown;
  gatewayId: string;
}
export interface WorkerStatsMsg {
  op: typeof Op.WorkerStats;
  worker: WorkerInfo;
}
export interface StatusQueryMsg {
  op: typeof Op.StatusQuery;
  requestId: number;
}
export interface StatusReplyMsg {
  op: typeof Op.StatusReply;
  requestId: number;
  status: ClusterStatus;
}

// Gateway → worker client events. `seq` numbers events per link, from 1, for acknowledgements.
// `session` is the client's session bytes when included, or null when the receiving worker
// already holds the client's current state (it was the last to see or write it). `uid` travels
// with the session: when `session` is set, `uid` is the bound uid (absent: none bound).
export interface ClientConnectMsg {
  op: typeof Op.ClientConnect;
  seq: number;
  client: number;
  session: Uint8Array | null;
  uid?: string;
  info: ConnectInfo;
}
export interface ClientMessageMsg {
  op: typeof Op.ClientMessage;
  seq: number;
  client: number;
  session: Uint8Array | null;
  uid?: string;
  binary: boolean;
  payload: Buffer;
}
export interface ClientCloseMsg {
  op: typeof Op.ClientClose;
  seq: number;
  client: number;
  session: Uint8Array | null;
  uid?: string;
}
/** Which client event a poison event was. */
export type PoisonedEvent = 'connect' | 'message' | 'close';
/**
 * An event whose handling ended its worker `deliveries` times (worker.maxDeliveries): it is not
 * handled again; the worker calls the handler's `onPoison` instead. `payload`/`binary` are the
 * client message for a poisoned ClientMessage (empty otherwise). Never redelivered: if the worker
 * dies during onPoison, the notification is dropped (counted by the gateway).
 */
export interface ClientPoisonMsg {
  op: typeof Op.ClientPoison;
  seq: number;
  client: number;
  session: Uint8Array | null;
  uid?: string;
  event: PoisonedEvent;
  deliveries: number;
  binary: boolean;
  payload: Buffer;
}

// Worker → gateway sends
export interface SendToClientMsg {
  op: typeof Op.SendToClient;
  client: number;
  binary: boolean;
  payload: Buffer;
}
export interface SendToClientsMsg {
  op: typeof Op.SendToClients;
  clients: number[];
  binary: boolean;
  payload: Buffer;
}
export interface SendToAllMsg {
  op: typeof Op.SendToAll;
  exclude: number[];
  binary: boolean;
  payload: Buffer;
}
export interface SendToUidsMsg {
  op: typeof Op.SendToUids;
  uids: string[];
  binary: boolean;
  payload: Buffer;
}
export interface SendToGroupsMsg {
  op: typeof Op.SendToGroups;
  groups: string[];
  exclude: number[];
  binary: boolean;
  payload: Buffer;
}

// Worker → gateway commands
export interface BindUidMsg {
  op: typeof Op.BindUid;
  client: number;
  uid: string;
}
export interface UnbindUidMsg {
  op: typeof Op.UnbindUid;
  client: number;
}
export interface JoinGroupMsg {
  op: typeof Op.JoinGroup;
  client: number;
  group: string;
}
export interface LeaveGroupMsg {
  op: typeof Op.LeaveGroup;
  client: number;
  group: string;
}
export interface UngroupMsg {
  op: typeof Op.Ungroup;
  group: string;
}
/**
 * Sends `data` (if any) and then closes the client. `code`/`reason`, when present, are the
 * WebSocket close code and reason (a worker rejecting a client in onWebSocketConnect sends 1008);
 * absent means a normal close. TCP clients ignore them.
 */
export interface CloseClientMsg {
  op: typeof Op.CloseClient;
  client: number;
  data: Uint8Array | null;
  binary: boolean;
  code?: number;
  reason?: string;
}
export interface SetSessionMsg {
  op: typeof Op.SetSession;
  client: number;
  session: Uint8Array;
}
/** `patch` is msgpack of a plain object, deep-merged into the session. */
export interface UpdateSessionMsg {
  op: typeof Op.UpdateSession;
  client: number;
  patch: Uint8Array;
}
export interface QueryMsg {
  op: typeof Op.Query;
  id: number;
  kind: QueryKind;
  args: unknown;
}
/**
 * `error` is set (and `result` null) when the gateway could not answer: the reason, for humans;
 * `code` is then its wire error code (`WireErrorCode`, e.g. InvalidQuery), which the asker maps
 * back to the catalogued `GW_ERR_*` code. Gateways before `code` existed leave it out.
 */
export interface QueryReplyMsg {
  op: typeof Op.QueryReply;
  id: number;
  result: unknown;
  error: string | null;
  code?: number;
}

// Flow control
/** Worker → gateway: every event with sequence number ≤ `seq` on this link is finished. */
export interface AckMsg {
  op: typeof Op.Ack;
  seq: number;
}
/**
 * Worker → gateway: these events are finished. `ranges` is a flat list of inclusive sequence
 * ranges `[first0, last0, first1, last1, …]` (u32; a range may wrap past 2^32−1 to 0). Events of
 * a link finish in any order, so a slow or hung event holds back only itself.
 */
export interface AckRangesMsg {
  op: typeof Op.AckRanges;
  ranges: number[];
}
/** Worker → gateway: route client events to me. Sent once after the handshake. */
export interface WorkerReadyMsg {
  op: typeof Op.WorkerReady;
  workerId: string;
  pid: number;
}
/** Worker → gateway: send me no new events; answer with DrainAck after the last one. */
export interface DrainMsg {
  op: typeof Op.Drain;
}
/** Gateway → worker: no event follows this on the link. */
export interface DrainAckMsg {
  op: typeof Op.DrainAck;
}

// Command streams. Every command a worker or GatewayClient sends a gateway (sends, uid and group
// changes, session writes, closes: the "stream ops") is numbered implicitly by its position on
// the sender's stream to that gateway (no number on the wire), across links.
/**
 * Sender → gateway, first on every link: the stream ops that follow on this link are numbers
 * `first`, `first + 1`, … of the stream of sender instance `sender` (random per process start).
 * The gateway applies each number at most once: it skips numbers it already applied.
 */
export interface StreamResumeMsg {
  op: typeof Op.StreamResume;
  sender: string;
  first: number;
}
/** Gateway → sender: every stream op numbered ≤ `applied` has been applied (sent at most once per event-loop turn). */
export interface StreamAckMsg {
  op: typeof Op.StreamAck;
  applied: number;
}

export type Message =
  | HelloMsg
  | AuthMsg
  | AuthOkMsg
  | ErrorMsg
  | PingMsg
  | PongMsg
  | AnnounceMsg
  | GatewayStatsMsg
  | SubscribeMsg
  | GatewayListMsg
  | GatewayUpMsg
  | GatewayDownMsg
  | WorkerStatsMsg
  | StatusQueryMsg
  | StatusReplyMsg
  | ClientConnectMsg
  | ClientMessageMsg
  | ClientCloseMsg
  | ClientPoisonMsg
  | SendToClientMsg
  | SendToClientsMsg
  | SendToAllMsg
  | SendToUidsMsg
  | SendToGroupsMsg
  | BindUidMsg
  | UnbindUidMsg
  | JoinGroupMsg
  | LeaveGroupMsg
  | UngroupMsg
  | CloseClientMsg
  | SetSessionMsg
  | UpdateSessionMsg
  | QueryMsg
  | QueryReplyMsg
  | AckMsg
  | AckRangesMsg
  | WorkerReadyMsg
  | DrainMsg
  | DrainAckMsg
  | StreamResumeMsg
  | StreamAckMsg;

/** The message type for an opcode. */
export type MessageOf<O extends Op> = Extract<Message, { op: O }>;
