import type { Socket } from 'node:net';
import { formatAddress } from '../address.js';
import { ErrorCode, ProtocolError, WireErrorCode } from '../errors.js';
import { answerHello, createHello, HANDSHAKE_MAX_FRAME_BYTES, verifyAuth, verifyAuthOk } from '../handshake.js';
import { DEFAULT_LINK_OPTIONS, type ResolvedLinkOptions } from '../link-options.js';
import type { AuthMsg, HelloMsg, Message, PeerRole, ServerRole } from '../messages.js';
import { Op, opName } from '../opcodes.js';
import { dial, Link, type LinkFlush } from './link.js';

export interface AcceptOptions {
  secret: string;
  role: ServerRole;
  nodeId: string;
  /** A gateway states its id in the Hello. */
  gatewayId?: string | undefined;
  /** This side's cluster name; peers of another cluster are refused. */
  cluster?: string | undefined;
  allowedRoles: readonly PeerRole[];
  /** The link's options, resolved once by its owner (resolveLinkOptions). Default DEFAULT_LINK_OPTIONS. */
  link?: ResolvedLinkOptions | undefined;
  /** When the accepted link writes queued frames (see LinkFlush). Default 'tick'. */
  flush?: LinkFlush | undefined;
}

export interface AcceptedLink {
  link: Link;
  peerRole: PeerRole;
  peerNodeId: string;
}

export interface ConnectOptions {
  host: string;
  port: number;
  secret: string;
  role: PeerRole;
  nodeId: string;
  /** The link's options, resolved once by its owner (resolveLinkOptions). Default DEFAULT_LINK_OPTIONS. */
  link?: ResolvedLinkOptions | undefined;
  /** This side's cluster name; a server of another cluster is refused. */
  cluster?: string | undefined;
  /**
   * The gateway id this side means to reach: a server stating another id (or none) is refused
   * with GW_ERR_WRONG_GATEWAY, whose message names both ids.
   */
  expectGatewayId?: string | undefined;
}

export interface ConnectedLink {
  link: Link;
  serverRole: ServerRole;
  serverNodeId: string;
  /** The gateway id the server stated; null for a register. */
  serverGatewayId: string | null;
}

/** After a refused handshake the socket is destroyed this long after the Error frame, in milliseconds. */
const HANDSHAKE_FAIL_LINGER_MS = 1_000;

/** Waits for the next message on a link during the handshake; fails on an Error frame, close or timeout. */
function nextMessage(link: Link, deadline: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        reject(
          new ProtocolError(ErrorCode.HandshakeTimeout, `handshake with ${link.remoteAddress} timed out`, { wire: WireErrorCode.HandshakeTimeout }),
        );
      },
      Math.max(0, deadline - performance.now()),
    );
    link.onMessage = (message) => {
      clearTimeout(timer);
      // Frames behind this one (in the same chunk) are held for the next reader or the link's owner.
      link.holdEvents();
      if (message.op === Op.Error) reject(ProtocolError.fromWire(message.code, message.message));
      else resolve(message);
    };
    link.onClose = (err) => {
      clearTimeout(timer);
      reject(err ?? new ProtocolError(ErrorCode.LinkClosed, `${link.remoteAddress} closed the link during the handshake`));
    };
  });
}

function expect<O extends Op>(message: Message, op: O): Extract<Message, { op: O }> {
  if (message.op !== op) {
    throw new ProtocolError(ErrorCode.Unexpected, `expected ${opName(op)} during the handshake, got ${opName(message.op)}`, {
      wire: WireErrorCode.Unexpected,
    });
  }
  return message as Extract<Message, { op: O }>;
}

function failAndThrow(link: Link, err: unknown): never {
  if (err instanceof ProtocolError) link.fail(err);
  else link.destroy(err instanceof Error ? err : new Error(String(err)));
  throw err;
}

/**
 * Accepting side of the handshake on a freshly accepted socket. Resolves with an authenticated
 * link; on any failure the peer is told why (an Error frame), the socket is closed and the
 * returned promise rejects with a ProtocolError.
 */
export async function acceptLink(socket: Socket, options: AcceptOptions): Promise<AcceptedLink> {
  // Until the peer is authenticated it may send one small frame (Auth): a larger announced
  // length fails the handshake at once, before any of it is buffered.
  const linkOptions = options.link ?? DEFAULT_LINK_OPTIONS;
  const link = new Link(socket, { ...linkOptions, maxFrameBytes: Math.min(HANDSHAKE_MAX_FRAME_BYTES, linkOptions.maxFrameBytes) }, options.flush);
  link.unauthenticated = true;
  const deadline = performance.now() + linkOptions.handshakeTimeoutMs;
  const hello = createHello(options.role, options.nodeId, { gatewayId: options.gatewayId, cluster: options.cluster });
  try {
    const pending = nextMessage(link, deadline);
    link.send(hello);
    const auth = expect(await pending, Op.Auth);
    link.send(verifyAuth(hello, auth, options.secret, options.allowedRoles));
    link.setMaxFrameBytes(linkOptions.maxFrameBytes);
    link.unauthenticated = false;
    return { link, peerRole: auth.role, peerNodeId: auth.nodeId };
  } catch (err) {
    // The peer is told why, but a stranger that does not close its side cannot hold the socket.
    setTimeout(() => link.destroy(), HANDSHAKE_FAIL_LINGER_MS).unref();
    failAndThrow(link, err);
  }
}

/** Connecting side: dials, authenticates, and resolves with the link. Rejects with a ProtocolError or a socket error. */
export async function connectLink(options: ConnectOptions): Promise<ConnectedLink> {
  const linkOptions = options.link ?? DEFAULT_LINK_OPTIONS;
  const timeout = linkOptions.handshakeTimeoutMs;
  const deadline = performance.now() + timeout;
  const socket = await dial(options.host, options.port, timeout);
  const link = new Link(socket, linkOptions);
  try {
    const hello: HelloMsg = expect(await nextMessage(link, deadline), Op.Hello);
    checkGatewayId(hello, options);
    const auth: AuthMsg = answerHello(hello, options.secret, options.role, options.nodeId, options.cluster);
    const pending = nextMessage(link, deadline);
    link.send(auth);
    verifyAuthOk(hello, auth, expect(await pending, Op.AuthOk), options.secret);
    return { link, serverRole: hello.role, serverNodeId: hello.nodeId, serverGatewayId: hello.gatewayId ?? null };
  } catch (err) {
    failAndThrow(link, err);
  }
}

/**
 * Refuses a server that is not the gateway this side dialled: an address now served by another
 * gateway (two gateways announcing one address, a restarted gateway) must not receive commands
 * meant for the other one's clients. (The id is covered by the server's AuthOk proof.)
 */
function checkGatewayId(hello: HelloMsg, options: ConnectOptions): void {
  const expected = options.expectGatewayId;
  if (expected === undefined || hello.gatewayId === expected) return;
  const reached = hello.gatewayId === undefined ? `a ${hello.role} without a gateway id` : `gateway ${hello.gatewayId}`;
  throw new ProtocolError(
    ErrorCode.WrongGateway,
    `dialled gateway ${expected} at ${formatAddress(options.host, options.port)} but reached ${reached} (node ${hello.nodeId}): refusing the link`,
    { wire: WireErrorCode.WrongGateway },
  );
}
