import { Packr } from 'msgpackr';
import { ProtocolError, WireErrorCode, ErrorCode } from './errors.js';
import { FRAME_PREFIX_BYTES } from './frame.js';
import type {
  BusBridgeStats,
  ClusterStatus,
  ConnectInfo,
  GatewayInfo,
  GatewayStats,
  Message,
  MessageOf,
  PeerRole,
  PoisonedEvent,
  ServerRole,
  WorkerInfo,
  WorkerState,
} from './messages.js';
import { QueryKind } from './queries.js';
import { Op, opName, OpRoute } from './opcodes.js';
import { FieldReader, MAX_CLIENT_NUMBER, MAX_CLUSTER_NAME_LENGTH, MAX_NODE_ID_LENGTH, MAX_UID_LENGTH, MAX_WORKER_ID_LENGTH } from './validate.js';

/**
 * Encoding and decoding of every message. Hot-path messages (client events, sends, acks) use a
 * fixed binary layout with the payload bytes copied as they are; everything else is msgpack.
 * `encode*` functions return a complete frame (length prefix included); `decodeMessage` takes a
 * frame as the FrameDecoder yields it (opcode first) and returns a validated message or throws a
 * ProtocolError.
 */

/**
 * One msgpack configuration for the whole protocol: plain maps as objects, no records, and no
 * structured-clone references (a peer could otherwise build cyclic values, or point into a
 * reference table left over from an earlier message).
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number', structuredClone: false });

/** Deepest nesting of arrays and maps accepted in a decoded msgpack value. */
export const MAX_MSGPACK_DEPTH = 128;

export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * Decodes msgpack from a peer. Only plain data comes out: nil, booleans, numbers, strings,
 * binary (Buffer), timestamps (Date), arrays and maps (plain objects), nested at most
 * MAX_MSGPACK_DEPTH deep. msgpackr would also build class instances from extension types
 * (BigInt, Error, RegExp, Set, typed arrays, ArrayBuffer, a placeholder for byte 0xc1); those are
 * refused here, so peer-built objects never reach a handler or a re-encode.
 */
export function unpackValue(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new ProtocolError(ErrorCode.MalformedFrame, 'malformed msgpack body', { wire: WireErrorCode.MalformedFrame, cause: err });
  }
  if (!isPlainData(value, 0)) {
    throw new ProtocolError(ErrorCode.MalformedFrame, `msgpack body holds an extension type or nests deeper than ${MAX_MSGPACK_DEPTH}`, {
      wire: WireErrorCode.MalformedFrame,
    });
  }
  return value;
}

function isPlainData(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_MSGPACK_DEPTH) return false;
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) if (!isPlainData(item, depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        for (const key in value) if (!isPlainData((value as Record<string, unknown>)[key], depth + 1)) return false;
        return true;
      }
      return proto === Buffer.prototype || proto === Uint8Array.prototype || proto === Date.prototype;
    }
    default:
      return false; // bigint, symbol, function
  }
}

// ---------------------------------------------------------------------------------------------
// Layout constants

const FLAG_BINARY = 1;
const FLAG_SESSION = 2;
const CLIENT_BYTES = 6;
/** prefix + op + seq + client + flags */
const EVENT_HEADER = FRAME_PREFIX_BYTES + 1 + 4 + CLIENT_BYTES + 1;
/** prefix + op + flags */
const SEND_HEADER = FRAME_PREFIX_BYTES + 1 + 1;

function frameOf(op: Op, bodyLength: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + 1 + bodyLength);
  buf.writeUInt32BE(1 + bodyLength, 0);
  buf[FRAME_PREFIX_BYTES] = op;
  return buf;
}

function writeClient(buf: Buffer, client: number, offset: number): void {
  buf.writeUIntBE(client, offset, CLIENT_BYTES);
}

function readClient(body: Buffer, offset: number, what: string): number {
  const client = body.readUIntBE(offset, CLIENT_BYTES);
  if (client === 0) throw ProtocolError.invalid(what, 'client number 0');
  return client;
}

function need(body: Buffer, bytes: number, what: string): void {
  if (body.length < bytes) throw ProtocolError.malformed(`${what} body of ${body.length} bytes is shorter than its ${bytes}-byte header`);
}

function checkClient(client: number): void {
  if (!Number.isSafeInteger(client) || client < 1 || client > MAX_CLIENT_NUMBER) throw new RangeError(`client number out of range: ${client}`);
}

// ---------------------------------------------------------------------------------------------
// Hot path: client events (gateway → worker)

/**
 * The client-state block of an event (present when FLAG_SESSION is set): `u32 length, session
 * bytes, u16 length, uid bytes` (uid length 0 = no uid bound). A worker that receives it replaces
 * its cached session and uid for the client.
 */
function encodeEvent(
  op: Op,
  seq: number,
  client: number,
  flags: number,
  session: Uint8Array | null,
  uid: string | null,
  rest: Uint8Array | null,
): Buffer {
  checkClient(client);
  const uidBytes = session === null || uid === null ? 0 : Buffer.byteLength(uid, 'utf8');
  if (uidBytes > 0xffff) throw new RangeError(`uid of ${uidBytes} bytes is longer than 65535`);
  const stateBytes = session === null ? 0 : 4 + session.length + 2 + uidBytes;
  const restBytes = rest === null ? 0 : rest.length;
  const buf = frameOf(op, EVENT_HEADER - FRAME_PREFIX_BYTES - 1 + stateBytes + restBytes);
  let o = FRAME_PREFIX_BYTES + 1;
  buf.writeUInt32BE(seq, o);
  writeClient(buf, client, o + 4);
  buf[o + 4 + CLIENT_BYTES] = flags | (session === null ? 0 : FLAG_SESSION);
  o = EVENT_HEADER;
  if (session !== null) {
    buf.writeUInt32BE(session.length, o);
    buf.set(session, o + 4);
    o += 4 + session.length;
    buf.writeUInt16BE(uidBytes, o);
    if (uidBytes > 0) buf.write(uid as string, o + 2, 'utf8');
    o += 2 + uidBytes;
  }
  if (rest !== null) buf.set(rest, o);
  return buf;
}

interface EventHeader {
  seq: number;
  client: number;
  flags: number;
  session: Uint8Array | null;
  uid: string | null;
  restOffset: number;
}

function decodeEvent(body: Buffer, what: string): EventHeader {
  const fixed = EVENT_HEADER - FRAME_PREFIX_BYTES - 1;
  need(body, fixed, what);
  const seq = body.readUInt32BE(0);
  const client = readClient(body, 4, what);
  const flags = body[4 + CLIENT_BYTES] as number;
  if ((flags & ~(FLAG_BINARY | FLAG_SESSION)) !== 0) throw ProtocolError.invalid(what, `unknown flags 0x${flags.toString(16)}`);
  let offset = fixed;
  let session: Uint8Array | null = null;
  let uid: string | null = null;
  if ((flags & FLAG_SESSION) !== 0) {
    need(body, offset + 4, what);
    const length = body.readUInt32BE(offset);
    offset += 4;
    if (offset + length + 2 > body.length) throw ProtocolError.malformed(`${what} session of ${length} bytes overruns the frame`);
    session = body.subarray(offset, offset + length);
    offset += length;
    const uidLength = body.readUInt16BE(offset);
    offset += 2;
    if (offset + uidLength > body.length) throw ProtocolError.malformed(`${what} uid of ${uidLength} bytes overruns the frame`);
    if (uidLength > 0) uid = body.toString('utf8', offset, offset + uidLength);
    offset += uidLength;
  }
  return { seq, client, flags, session, uid, restOffset: offset };
}

/** `uid` travels only with the session (when `session` is not null). */
export function encodeClientConnect(seq: number, client: number, session: Uint8Array | null, info: ConnectInfo, uid: string | null = null): Buffer {
  return encodeEvent(Op.ClientConnect, seq, client, 0, session, uid, packr.pack(info));
}

export function encodeClientMessage(
  seq: number,
  client: number,
  session: Uint8Array | null,
  binary: boolean,
  payload: Uint8Array,
  uid: string | null = null,
): Buffer {
  return encodeEvent(Op.ClientMessage, seq, client, binary ? FLAG_BINARY : 0, session, uid, payload);
}

export function encodeClientClose(seq: number, client: number, session: Uint8Array | null, uid: string | null = null): Buffer {
  return encodeEvent(Op.ClientClose, seq, client, 0, session, uid, null);
}

const POISONED_EVENTS: readonly PoisonedEvent[] = ['connect', 'message', 'close'];

/**
 * `u8 event (0 connect, 1 message, 2 close), u16 deliveries`, then the message payload (empty for
 * connect and close) after the client-state block; FLAG_BINARY as for ClientMessage.
 */
export function encodeClientPoison(
  seq: number,
  client: number,
  session: Uint8Array | null,
  event: PoisonedEvent,
  deliveries: number,
  binary: boolean,
  payload: Uint8Array,
  uid: string | null = null,
): Buffer {
  const rest = Buffer.allocUnsafe(3 + payload.length);
  rest[0] = POISONED_EVENTS.indexOf(event);
  rest.writeUInt16BE(Math.min(deliveries, 0xffff), 1);
  rest.set(payload, 3);
  return encodeEvent(Op.ClientPoison, seq, client, binary ? FLAG_BINARY : 0, session, uid, rest);
}

/** Adds `uid` to a decoded event only when one is bound (absent otherwise). */
function withUid<M extends object>(message: M, uid: string | null): M & { uid?: string } {
  return uid === null ? message : { ...message, uid };
}

function readConnectInfo(value: unknown): ConnectInfo {
  const r = new FieldReader('ClientConnect.info', value);
  const req = r.nullableReader('request');
  return {
    listener: r.str('listener'),
    remoteAddress: r.str('remoteAddress'),
    remotePort: r.int('remotePort'),
    request: req === null ? null : { url: req.str('url'), headers: req.headers('headers'), remoteAddress: req.str('remoteAddress') },
  };
}

// ---------------------------------------------------------------------------------------------
// Hot path: sends (worker → gateway)

function encodeSend(op: Op, binary: boolean, args: Uint8Array | null, argsLength: number, payload: Uint8Array): Buffer {
  const buf = frameOf(op, 1 + argsLength + payload.length);
  buf[FRAME_PREFIX_BYTES + 1] = binary ? FLAG_BINARY : 0;
  if (args !== null) buf.set(args, SEND_HEADER);
  buf.set(payload, SEND_HEADER + argsLength);
  return buf;
}

export function encodeSendToClient(client: number, binary: boolean, payload: Uint8Array): Buffer {
  checkClient(client);
  const buf = encodeSend(Op.SendToClient, binary, null, CLIENT_BYTES, payload);
  writeClient(buf, client, SEND_HEADER);
  return buf;
}

function encodeClientList(op: Op, clients: readonly number[], binary: boolean, payload: Uint8Array): Buffer {
  const argsLength = 4 + clients.length * CLIENT_BYTES;
  const buf = encodeSend(op, binary, null, argsLength, payload);
  buf.writeUInt32BE(clients.length, SEND_HEADER);
  let o = SEND_HEADER + 4;
  for (const c of clients) {
    checkClient(c);
    writeClient(buf, c, o);
    o += CLIENT_BYTES;
  }
  return buf;
}

export function encodeSendToClients(clients: readonly number[], binary: boolean, payload: Uint8Array): Buffer {
  return encodeClientList(Op.SendToClients, clients, binary, payload);
}

export function encodeSendToAll(exclude: readonly number[], binary: boolean, payload: Uint8Array): Buffer {
  return encodeClientList(Op.SendToAll, exclude, binary, payload);
}

function encodePackedArgs(op: Op, args: unknown, binary: boolean, payload: Uint8Array): Buffer {
  const packed = packr.pack(args);
  const buf = encodeSend(op, binary, null, 4 + packed.length, payload);
  buf.writeUInt32BE(packed.length, SEND_HEADER);
  buf.set(packed, SEND_HEADER + 4);
  return buf;
}

export function encodeSendToUids(uids: readonly string[], binary: boolean, payload: Uint8Array): Buffer {
  return encodePackedArgs(Op.SendToUids, uids, binary, payload);
}

export function encodeSendToGroups(groups: readonly string[], exclude: readonly number[], binary: boolean, payload: Uint8Array): Buffer {
  return encodePackedArgs(Op.SendToGroups, { groups, exclude }, binary, payload);
}

function sendFlags(body: Buffer, what: string): boolean {
  need(body, 1, what);
  const flags = body[0] as number;
  if ((flags & ~FLAG_BINARY) !== 0) throw ProtocolError.invalid(what, `unknown flags 0x${flags.toString(16)}`);
  return flags === FLAG_BINARY;
}

function decodeClientList(body: Buffer, what: string): { clients: number[]; binary: boolean; payload: Buffer } {
  const binary = sendFlags(body, what);
  need(body, 5, what);
  const count = body.readUInt32BE(1);
  const end = 5 + count * CLIENT_BYTES;
  if (end > body.length) throw ProtocolError.malformed(`${what} list of ${count} clients overruns the frame`);
  const clients = new Array<number>(count);
  for (let i = 0, o = 5; i < count; i++, o += CLIENT_BYTES) clients[i] = readClient(body, o, what);
  return { clients, binary, payload: body.subarray(end) };
}

function decodePackedArgs(body: Buffer, what: string): { args: unknown; binary: boolean; payload: Buffer } {
  const binary = sendFlags(body, what);
  need(body, 5, what);
  const length = body.readUInt32BE(1);
  if (5 + length > body.length) throw ProtocolError.malformed(`${what} arguments of ${length} bytes overrun the frame`);
  return { args: unpackValue(body.subarray(5, 5 + length)), binary, payload: body.subarray(5 + length) };
}

// ---------------------------------------------------------------------------------------------
// Hot path: acknowledgements

export function encodeAck(seq: number): Buffer {
  const buf = frameOf(Op.Ack, 4);
  buf.writeUInt32BE(seq, FRAME_PREFIX_BYTES + 1);
  return buf;
}

/** Largest number of ranges in one AckRanges frame (a worker splits longer lists). */
export const MAX_ACK_RANGES = 8192;

/** `ranges`: flat inclusive [first, last] pairs. Body: one `u32 first, u32 last` per range. */
export function encodeAckRanges(ranges: readonly number[]): Buffer {
  const buf = frameOf(Op.AckRanges, ranges.length * 4);
  let o = FRAME_PREFIX_BYTES + 1;
  for (const seq of ranges) {
    buf.writeUInt32BE(seq, o);
    o += 4;
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Command streams

/** Stream op counts travel as unsigned 48-bit integers (2^48 ops per sender and gateway). */
const STREAM_COUNT_BYTES = 6;
export const MAX_STREAM_COUNT = 2 ** 48 - 1;

/** Ops that travel on a command stream (counted, re-sent after a reconnect, applied once): `stream` in `OpRoute`. */
const streamOpTable = new Uint8Array(256);
for (const [op, route] of Object.entries(OpRoute)) if ('stream' in route) streamOpTable[Number(op)] = 1;

/** True for the ops a command stream carries (a table lookup: it runs for every command). */
export function isStreamOp(op: number): boolean {
  return streamOpTable[op] === 1;
}

export function encodeStreamAck(applied: number): Buffer {
  if (!Number.isSafeInteger(applied) || applied < 0 || applied > MAX_STREAM_COUNT) throw new RangeError(`stream count out of range: ${applied}`);
  const buf = frameOf(Op.StreamAck, STREAM_COUNT_BYTES);
  buf.writeUIntBE(applied, FRAME_PREFIX_BYTES + 1, STREAM_COUNT_BYTES);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Control messages (msgpack bodies)

type Body<M extends Message> = Omit<M, 'op'>;

function encodeControl(op: Op, body: object): Buffer {
  const packed = packr.pack(body);
  const buf = frameOf(op, packed.length);
  buf.set(packed, FRAME_PREFIX_BYTES + 1);
  return buf;
}

const PEER_ROLES: readonly PeerRole[] = ['gateway', 'worker', 'client'];
const SERVER_ROLES: readonly ServerRole[] = ['register', 'gateway'];
const WORKER_STATES: readonly WorkerState[] = ['starting', 'ready', 'draining'];
const QUERY_KINDS = new Set<number>(Object.values(QueryKind));

const MAX_BUS_BRIDGES = 8;

function readBusBridge(r: FieldReader): BusBridgeStats {
  const rejected: Record<string, number> = {};
  const counts = r.reader('rejected'); // checks it is a map
  const keys = Object.keys(r.raw('rejected') as object);
  if (keys.length > 16) throw ProtocolError.invalid('GatewayStats', 'more than 16 bus reject reasons');
  for (const key of keys) rejected[key.slice(0, 64)] = counts.int(key);
  return {
    bridge: r.str('bridge', 32),
    state: r.str('state', 32),
    connects: r.int('connects'),
    received: r.int('received'),
    applied: r.int('applied'),
    deliveries: r.int('deliveries'),
    rejected,
  };
}

function readStats(r: FieldReader): GatewayStats {
  const stats: GatewayStats = {
    clients: r.int('clients'),
    uids: r.int('uids'),
    groups: r.int('groups'),
    workers: r.int('workers'),
    pending: r.int('pending'),
  };
  // Optional: gateways without a bus (and older ones) leave it out.
  if (r.raw('bus') !== undefined && r.raw('bus') !== null) {
    const list = r.array('bus');
    if (list.length > MAX_BUS_BRIDGES) throw ProtocolError.invalid('GatewayStats', `more than ${MAX_BUS_BRIDGES} bus bridges`);
    stats.bus = list.map((b, i) => readBusBridge(new FieldReader(`GatewayStats.bus[${i}]`, b)));
  }
  return stats;
}

function readGateway(r: FieldReader): GatewayInfo {
  return {
    gatewayId: r.str('gatewayId', 64),
    nodeId: r.str('nodeId', MAX_NODE_ID_LENGTH),
    address: r.str('address', 300),
    processIndex: r.int('processIndex'),
    pid: r.int('pid'),
    stats: readStats(r.reader('stats')),
  };
}

function readWorker(r: FieldReader): WorkerInfo {
  return {
    workerId: r.str('workerId', MAX_WORKER_ID_LENGTH),
    nodeId: r.str('nodeId', MAX_NODE_ID_LENGTH),
    pid: r.int('pid'),
    state: r.oneOf('state', WORKER_STATES),
    inflight: r.int('inflight'),
    handled: r.int('handled'),
    gateways: r.int('gateways'),
  };
}

function readStatus(r: FieldReader): ClusterStatus {
  const reg = r.reader('register');
  return {
    register: { nodeId: reg.str('nodeId', MAX_NODE_ID_LENGTH), pid: reg.int('pid'), uptimeMs: reg.int('uptimeMs') },
    gateways: r.array('gateways').map((g) => readGateway(new FieldReader('StatusReply.gateways[]', g))),
    workers: r.array('workers').map((w) => readWorker(new FieldReader('StatusReply.workers[]', w))),
  };
}

interface Codec<M extends Message> {
  encode(message: M): Buffer;
  /** `body` is the frame without its opcode byte. */
  decode(body: Buffer): M;
}

/** A msgpack-bodied message: encode the fields but `op`, decode through `read`. */
function control<O extends Op>(op: O, read: (r: FieldReader) => Body<MessageOf<O>>): Codec<MessageOf<O>> {
  const what = opName(op);
  return {
    encode: (message) => {
      const { op: _op, ...body } = message as MessageOf<O> & { op: O };
      return encodeControl(op, body);
    },
    decode: (body) => ({ op, ...read(new FieldReader(what, unpackValue(body))) }) as MessageOf<O>,
  };
}

/** A message with no fields. */
function bare<O extends Op>(op: O): Codec<MessageOf<O>> {
  return {
    encode: () => frameOf(op, 0),
    decode: () => ({ op }) as MessageOf<O>,
  };
}

/** Every opcode has a codec: a missing one is a compile error. */
const codecs: { [O in Op]: Codec<MessageOf<O>> } = {
  [Op.Hello]: control(Op.Hello, (r) => ({
    version: r.int('version'),
    nonce: r.bytes('nonce'),
    role: r.oneOf('role', SERVER_ROLES),
    nodeId: r.str('nodeId', MAX_NODE_ID_LENGTH),
    ...(r.raw('gatewayId') !== undefined && { gatewayId: r.str('gatewayId', 64) }),
    ...(r.raw('cluster') !== undefined && { cluster: r.str('cluster', MAX_CLUSTER_NAME_LENGTH) }),
  })),
  [Op.Auth]: control(Op.Auth, (r) => ({
    version: r.int('version'),
    role: r.oneOf('role', PEER_ROLES),
    nodeId: r.str('nodeId', MAX_NODE_ID_LENGTH),
    nonce: r.bytes('nonce'),
    proof: r.bytes('proof'),
    ...(r.raw('cluster') !== undefined && { cluster: r.str('cluster', MAX_CLUSTER_NAME_LENGTH) }),
  })),
  [Op.AuthOk]: control(Op.AuthOk, (r) => ({ proof: r.bytes('proof') })),
  [Op.Error]: control(Op.Error, (r) => ({ code: r.int('code'), message: r.str('message') })),
  [Op.Ping]: control(Op.Ping, (r) => ({ t: r.int('t') })),
  [Op.Pong]: control(Op.Pong, (r) => ({ t: r.int('t') })),

  [Op.Announce]: control(Op.Announce, (r) => ({ gateway: readGateway(r.reader('gateway')) })),
  [Op.GatewayStats]: control(Op.GatewayStats, (r) => ({ stats: readStats(r.reader('stats')) })),
  [Op.Subscribe]: control(Op.Subscribe, (r) => {
    const w = r.nullableReader('worker');
    return { worker: w === null ? null : readWorker(w) };
  }),
  [Op.GatewayList]: control(Op.GatewayList, (r) => ({
    gateways: r.array('gateways').map((g) => readGateway(new FieldReader('GatewayList.gateways[]', g))),
  })),
  [Op.GatewayUp]: control(Op.GatewayUp, (r) => ({ gateway: readGateway(r.reader('gateway')) })),
  [Op.GatewayDown]: control(Op.GatewayDown, (r) => ({ gatewayId: r.str('gatewayId', 64) })),
  [Op.WorkerStats]: control(Op.WorkerStats, (r) => ({ worker: readWorker(r.reader('worker')) })),
  [Op.StatusQuery]: control(Op.StatusQuery, (r) => ({ requestId: r.int('requestId') })),
  [Op.StatusReply]: control(Op.StatusReply, (r) => ({ requestId: r.int('requestId'), status: readStatus(r.reader('status')) })),

  [Op.ClientConnect]: {
    encode: (m) => encodeClientConnect(m.seq, m.client, m.session, m.info, m.uid ?? null),
    decode: (body) => {
      const h = decodeEvent(body, 'ClientConnect');
      return withUid(
        { op: Op.ClientConnect, seq: h.seq, client: h.client, session: h.session, info: readConnectInfo(unpackValue(body.subarray(h.restOffset))) },
        h.uid,
      );
    },
  },
  [Op.ClientMessage]: {
    encode: (m) => encodeClientMessage(m.seq, m.client, m.session, m.binary, m.payload, m.uid ?? null),
    decode: (body) => {
      const h = decodeEvent(body, 'ClientMessage');
      return withUid(
        {
          op: Op.ClientMessage,
          seq: h.seq,
          client: h.client,
          session: h.session,
          binary: (h.flags & FLAG_BINARY) !== 0,
          payload: body.subarray(h.restOffset),
        },
        h.uid,
      );
    },
  },
  [Op.ClientClose]: {
    encode: (m) => encodeClientClose(m.seq, m.client, m.session, m.uid ?? null),
    decode: (body) => {
      const h = decodeEvent(body, 'ClientClose');
      if ((h.flags & FLAG_BINARY) !== 0 || h.restOffset !== body.length) throw ProtocolError.invalid('ClientClose', 'unexpected payload');
      return withUid({ op: Op.ClientClose, seq: h.seq, client: h.client, session: h.session }, h.uid);
    },
  },

  [Op.ClientPoison]: {
    encode: (m) => encodeClientPoison(m.seq, m.client, m.session, m.event, m.deliveries, m.binary, m.payload, m.uid ?? null),
    decode: (body) => {
      const h = decodeEvent(body, 'ClientPoison');
      need(body, h.restOffset + 3, 'ClientPoison');
      const event = POISONED_EVENTS[body[h.restOffset] as number];
      if (event === undefined) throw ProtocolError.invalid('ClientPoison', `unknown event kind ${body[h.restOffset]}`);
      return withUid(
        {
          op: Op.ClientPoison,
          seq: h.seq,
          client: h.client,
          session: h.session,
          event,
          deliveries: body.readUInt16BE(h.restOffset + 1),
          binary: (h.flags & FLAG_BINARY) !== 0,
          payload: body.subarray(h.restOffset + 3),
        },
        h.uid,
      );
    },
  },

  [Op.SendToClient]: {
    encode: (m) => encodeSendToClient(m.client, m.binary, m.payload),
    decode: (body) => {
      const binary = sendFlags(body, 'SendToClient');
      need(body, 1 + CLIENT_BYTES, 'SendToClient');
      return { op: Op.SendToClient, client: readClient(body, 1, 'SendToClient'), binary, payload: body.subarray(1 + CLIENT_BYTES) };
    },
  },
  [Op.SendToClients]: {
    encode: (m) => encodeSendToClients(m.clients, m.binary, m.payload),
    decode: (body) => ({ op: Op.SendToClients, ...decodeClientList(body, 'SendToClients') }),
  },
  [Op.SendToAll]: {
    encode: (m) => encodeSendToAll(m.exclude, m.binary, m.payload),
    decode: (body) => {
      const { clients, binary, payload } = decodeClientList(body, 'SendToAll');
      return { op: Op.SendToAll, exclude: clients, binary, payload };
    },
  },
  [Op.SendToUids]: {
    encode: (m) => encodeSendToUids(m.uids, m.binary, m.payload),
    decode: (body) => {
      const { args, binary, payload } = decodePackedArgs(body, 'SendToUids');
      if (!Array.isArray(args) || !args.every((u) => typeof u === 'string'))
        throw ProtocolError.invalid('SendToUids', 'uids is not a list of strings');
      return { op: Op.SendToUids, uids: args, binary, payload };
    },
  },
  [Op.SendToGroups]: {
    encode: (m) => encodeSendToGroups(m.groups, m.exclude, m.binary, m.payload),
    decode: (body) => {
      const { args, binary, payload } = decodePackedArgs(body, 'SendToGroups');
      const r = new FieldReader('SendToGroups', args);
      return { op: Op.SendToGroups, groups: r.strArray('groups'), exclude: r.clientArray('exclude'), binary, payload };
    },
  },

  [Op.BindUid]: control(Op.BindUid, (r) => ({ client: r.client(), uid: r.str('uid', MAX_UID_LENGTH) })),
  [Op.UnbindUid]: control(Op.UnbindUid, (r) => ({ client: r.client() })),
  [Op.JoinGroup]: control(Op.JoinGroup, (r) => ({ client: r.client(), group: r.str('group') })),
  [Op.LeaveGroup]: control(Op.LeaveGroup, (r) => ({ client: r.client(), group: r.str('group') })),
  [Op.Ungroup]: control(Op.Ungroup, (r) => ({ group: r.str('group') })),
  [Op.CloseClient]: control(Op.CloseClient, (r) => ({
    client: r.client(),
    data: r.nullableBytes('data'),
    binary: r.bool('binary'),
    ...(r.raw('code') !== undefined && { code: r.int('code') }),
    ...(r.raw('reason') !== undefined && { reason: r.str('reason', 123) }),
  })),
  [Op.SetSession]: control(Op.SetSession, (r) => ({ client: r.client(), session: r.bytes('session') })),
  [Op.UpdateSession]: control(Op.UpdateSession, (r) => ({ client: r.client(), patch: r.bytes('patch') })),
  [Op.Query]: control(Op.Query, (r) => {
    const kind = r.int('kind');
    if (!QUERY_KINDS.has(kind)) throw ProtocolError.invalid('Query', `unknown query kind ${kind}`);
    return { id: r.int('id'), kind: kind as QueryKind, args: r.raw('args') ?? null };
  }),
  [Op.QueryReply]: control(Op.QueryReply, (r) => ({
    id: r.int('id'),
    result: r.raw('result') ?? null,
    error: r.nullableStr('error'),
    // Absent from gateways older than the field, and from answers that are not errors.
    ...(r.raw('code') !== undefined && r.raw('code') !== null && { code: r.int('code') }),
  })),

  [Op.Ack]: {
    encode: (m) => encodeAck(m.seq),
    decode: (body) => {
      if (body.length !== 4) throw ProtocolError.malformed(`Ack body of ${body.length} bytes, expected 4`);
      return { op: Op.Ack, seq: body.readUInt32BE(0) };
    },
  },
  [Op.AckRanges]: {
    encode: (m) => encodeAckRanges(m.ranges),
    decode: (body) => {
      const n = body.length / 8;
      if (body.length === 0 || !Number.isInteger(n) || n > MAX_ACK_RANGES) {
        throw ProtocolError.malformed(`AckRanges body of ${body.length} bytes is not 1–${MAX_ACK_RANGES} ranges of 8 bytes`);
      }
      const ranges = new Array<number>(n * 2);
      for (let i = 0; i < n * 2; i++) ranges[i] = body.readUInt32BE(i * 4);
      return { op: Op.AckRanges, ranges };
    },
  },
  [Op.WorkerReady]: control(Op.WorkerReady, (r) => ({ workerId: r.str('workerId', MAX_WORKER_ID_LENGTH), pid: r.int('pid') })),
  [Op.Drain]: bare(Op.Drain),
  [Op.DrainAck]: bare(Op.DrainAck),

  [Op.StreamResume]: control(Op.StreamResume, (r) => {
    const first = r.int('first');
    if (first < 1 || first > MAX_STREAM_COUNT) throw ProtocolError.invalid('StreamResume', `first ${first} out of range`);
    return { sender: r.str('sender', 64), first };
  }),
  [Op.StreamAck]: {
    encode: (m) => encodeStreamAck(m.applied),
    decode: (body) => {
      if (body.length !== STREAM_COUNT_BYTES) throw ProtocolError.malformed(`StreamAck body of ${body.length} bytes, expected ${STREAM_COUNT_BYTES}`);
      return { op: Op.StreamAck, applied: body.readUIntBE(0, STREAM_COUNT_BYTES) };
    },
  },
};

/** Encodes any message into a complete frame. Hot paths call the specific `encode*` directly. */
export function encodeMessage(message: Message): Buffer {
  return (codecs[message.op] as Codec<Message>).encode(message);
}

/** Decodes and validates one frame (opcode first, as yielded by FrameDecoder). */
export function decodeMessage(frame: Buffer): Message {
  if (frame.length === 0) throw ProtocolError.malformed('empty frame');
  const op = frame[0] as number;
  const codec = (codecs as Partial<Record<number, Codec<Message>>>)[op];
  if (codec === undefined) {
    throw new ProtocolError(ErrorCode.UnknownOpcode, `unknown opcode ${op}`, { wire: WireErrorCode.UnknownOpcode });
  }
  try {
    return codec.decode(frame.subarray(1));
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(ErrorCode.MalformedFrame, `malformed ${opName(op)} frame`, { wire: WireErrorCode.MalformedFrame, cause: err });
  }
}
