/** @gateworker/protocol: bytes in, values out. No sockets here; see `@gateworker/protocol/node`. */
export { Op, opName, isOp, OpRoute, isSentBy } from './opcodes.js';
export type { Role, Route, RoutedOp } from './opcodes.js';
export { PROTOCOL_VERSION } from './version.js';
export { ErrorCode, WireErrorCode, ProtocolError, isProtocolError } from './errors.js';
export { FrameDecoder, DEFAULT_MAX_FRAME_BYTES, FRAME_PREFIX_BYTES } from './frame.js';
export {
  encodeMessage,
  decodeMessage,
  packValue,
  unpackValue,
  MAX_MSGPACK_DEPTH,
  encodeClientConnect,
  encodeClientMessage,
  encodeClientClose,
  encodeSendToClient,
  encodeSendToClients,
  encodeSendToAll,
  encodeSendToUids,
  encodeSendToGroups,
  encodeAck,
  encodeStreamAck,
  MAX_STREAM_COUNT,
  isStreamOp,
  encodeClientPoison,
  encodeAckRanges,
  MAX_ACK_RANGES,
} from './codec.js';
export { QueryKind, queryKindName, readQueryArgs } from './queries.js';
export type { QuerySpec, QueryArgs, QueryResult } from './queries.js';
export type * from './messages.js';
export {
  createHello,
  answerHello,
  verifyAuth,
  verifyAuthOk,
  NONCE_BYTES,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  HANDSHAKE_MAX_FRAME_BYTES,
} from './handshake.js';
export type { HelloIdentity } from './handshake.js';
export { newGatewayId, isGatewayId, clientIdFor, parseClientId, GATEWAY_ID_LENGTH, MAX_CLIENT_ID_LENGTH } from './client-id.js';
export type { ParsedClientId } from './client-id.js';
export { FieldReader, MAX_CLIENT_NUMBER, MAX_UID_LENGTH } from './validate.js';
export { parseAddress, formatAddress, isUnspecifiedHost, isLoopbackHost, AddressError } from './address.js';
export type { HostPort, ParseAddressOptions } from './address.js';
export { secretPolicyProblem, MIN_SECRET_CHARS_OFF_LOOPBACK } from './secret-policy.js';
export {
  resolveLinkOptions,
  DEFAULT_LINK_OPTIONS,
  DEFAULT_LINK_PING_INTERVAL_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  DEFAULT_LINK_MAX_BUFFERED_BYTES,
  MIN_LINK_MAX_FRAME_BYTES,
} from './link-options.js';
export type { LinkOptions, ResolvedLinkOptions, InvalidOptionError } from './link-options.js';
export { MAX_CLUSTER_NAME_LENGTH, CLUSTER_NAME_PATTERN, MAX_NODE_ID_LENGTH, MAX_WORKER_ID_LENGTH } from './validate.js';
export {
  decodeSession,
  encodeSession,
  mergeSessionPatch,
  mergeSessionBytes,
  isPlainObject,
  isEmptySessionBytes,
  EMPTY_SESSION_BYTES,
} from './session.js';
export type { SessionObject } from './session.js';
