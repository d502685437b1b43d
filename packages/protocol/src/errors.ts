/**
 * Protocol errors. Every error carries a stable `code` (matched by code, never by message text)
 * and, on the wire, a stable numeric `wire` code carried in `Error` frames.
 */

export const ErrorCode = {
  FrameTooLarge: 'GW_ERR_FRAME_TOO_LARGE',
  MalformedFrame: 'GW_ERR_MALFORMED_FRAME',
  UnknownOpcode: 'GW_ERR_UNKNOWN_OPCODE',
  InvalidMessage: 'GW_ERR_INVALID_MESSAGE',
  VersionMismatch: 'GW_ERR_VERSION_MISMATCH',
  AuthFailed: 'GW_ERR_AUTH_FAILED',
  HandshakeTimeout: 'GW_ERR_HANDSHAKE_TIMEOUT',
  RoleRefused: 'GW_ERR_ROLE_REFUSED',
  Unexpected: 'GW_ERR_UNEXPECTED_MESSAGE',
  PeerError: 'GW_ERR_PEER',
  HeartbeatTimeout: 'GW_ERR_HEARTBEAT_TIMEOUT',
  LinkClosed: 'GW_ERR_LINK_CLOSED',
  /** A string that is not a gateworker client id was given where one is needed (worker API). */
  InvalidClientId: 'GW_ERR_INVALID_CLIENT_ID',
  /** Options that cannot work; the message names the option. Shared by the packages that take options. */
  InvalidOptions: 'GW_ERR_INVALID_OPTIONS',
  /** An object was closed (or is closing) while a call waited, or before it was made. Shared. */
  Closed: 'GW_ERR_CLOSED',
  /** A malformed host:port address (`parseAddress`). */
  InvalidAddress: 'GW_ERR_INVALID_ADDRESS',
  ClusterMismatch: 'GW_ERR_CLUSTER_MISMATCH',
  WrongGateway: 'GW_ERR_WRONG_GATEWAY',
  /** A query whose arguments do not fit its kind: the gateway answers it with this error (the link stays up). */
  InvalidQuery: 'GW_ERR_INVALID_QUERY',
  /** Session bytes that are not msgpack of a plain object (`decodeSession`). Shared by the gateway and the worker. */
  InvalidSession: 'GW_ERR_INVALID_SESSION',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Numeric codes used in `Error` frames and query error replies. Numbers are never reused. */
export const WireErrorCode = {
  FrameTooLarge: 1,
  MalformedFrame: 2,
  UnknownOpcode: 3,
  InvalidMessage: 4,
  VersionMismatch: 5,
  AuthFailed: 6,
  HandshakeTimeout: 7,
  RoleRefused: 8,
  Unexpected: 9,
  HeartbeatTimeout: 10,
  ClusterMismatch: 11,
  WrongGateway: 12,
  InvalidQuery: 13,
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

const wireToCode: Record<number, ErrorCode> = {
  [WireErrorCode.FrameTooLarge]: ErrorCode.FrameTooLarge,
  [WireErrorCode.MalformedFrame]: ErrorCode.MalformedFrame,
  [WireErrorCode.UnknownOpcode]: ErrorCode.UnknownOpcode,
  [WireErrorCode.InvalidMessage]: ErrorCode.InvalidMessage,
  [WireErrorCode.VersionMismatch]: ErrorCode.VersionMismatch,
  [WireErrorCode.AuthFailed]: ErrorCode.AuthFailed,
  [WireErrorCode.HandshakeTimeout]: ErrorCode.HandshakeTimeout,
  [WireErrorCode.RoleRefused]: ErrorCode.RoleRefused,
  [WireErrorCode.Unexpected]: ErrorCode.Unexpected,
  [WireErrorCode.HeartbeatTimeout]: ErrorCode.HeartbeatTimeout,
  [WireErrorCode.ClusterMismatch]: ErrorCode.ClusterMismatch,
  [WireErrorCode.WrongGateway]: ErrorCode.WrongGateway,
  [WireErrorCode.InvalidQuery]: ErrorCode.InvalidQuery,
};

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCode;
  /** Numeric code for `Error` frames, when this error is one a peer should be told about. */
  readonly wire: WireErrorCode | undefined;

  constructor(code: ErrorCode, message: string, options?: { wire?: WireErrorCode; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.wire = options?.wire;
  }

  static frameTooLarge(size: number, max: number): ProtocolError {
    return new ProtocolError(ErrorCode.FrameTooLarge, `frame of ${size} bytes exceeds the limit of ${max} bytes`, {
      wire: WireErrorCode.FrameTooLarge,
    });
  }

  static malformed(what: string): ProtocolError {
    return new ProtocolError(ErrorCode.MalformedFrame, `malformed frame: ${what}`, { wire: WireErrorCode.MalformedFrame });
  }

  static invalid(op: string, what: string): ProtocolError {
    return new ProtocolError(ErrorCode.InvalidMessage, `invalid ${op} message: ${what}`, { wire: WireErrorCode.InvalidMessage });
  }

  /**
   * The error a peer reported in an `Error` frame or a query error reply. A number this side does
   * not know (or none, from a peer older than the number) is `GW_ERR_PEER`.
   */
  static fromWire(wire: number | undefined, message: string): ProtocolError {
    const code = (wire === undefined ? undefined : wireToCode[wire]) ?? ErrorCode.PeerError;
    return new ProtocolError(code, `peer: ${message}`);
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
