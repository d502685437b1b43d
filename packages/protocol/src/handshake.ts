import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, ProtocolError, WireErrorCode } from './errors.js';
import type { AuthMsg, AuthOkMsg, HelloMsg, PeerRole, ServerRole } from './messages.js';
import { Op } from './opcodes.js';
import { PROTOCOL_VERSION } from './version.js';

/**
 * Challenge–response authentication on the shared secret, in both directions; the secret never
 * travels. The accepting side sends `Hello` with a fresh nonce; the connecting side answers `Auth`
 * with its own nonce and an HMAC-SHA256 over both nonces, its role and node id; the accepting side
 * checks it (timing-safe) and answers `AuthOk` with an HMAC proving it knows the secret too.
 * Versions are compared first, so a mismatch is reported as such rather than as a bad proof.
 */

export const NONCE_BYTES = 16;
/** Default time a peer has to complete the handshake, in milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
/**
 * Largest frame an unauthenticated peer may send, in bytes: an Auth frame is a few hundred bytes
 * (two 32-byte values, a node id of at most 256 bytes). A larger announced length closes the
 * connection before any of it is buffered, so an unauthenticated peer costs almost nothing.
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 4 * 1024;

function mac(secret: string, label: string, parts: readonly (Uint8Array | string)[]): Buffer {
  const h = createHmac('sha256', secret);
  h.update(label);
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    // Length-prefix every part so no two different part lists hash the same bytes.
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(bytes.length, 0);
    h.update(len);
    h.update(bytes);
  }
  return h.digest();
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkVersion(version: number, peer: string): void {
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError(ErrorCode.VersionMismatch, `protocol version mismatch: this side speaks ${PROTOCOL_VERSION}, ${peer} speaks ${version}`, {
      wire: WireErrorCode.VersionMismatch,
    });
  }
}

/** Identity the accepting side states in its Hello. */
export interface HelloIdentity {
  /** A gateway's id (absent for a register). */
  gatewayId?: string | undefined;
  /** The cluster name, when one is configured. */
  cluster?: string | undefined;
}

/** Cluster names compare with "none configured" as the empty name. */
function checkCluster(ours: string | undefined, theirs: string | undefined, peer: string): void {
  if ((ours ?? '') === (theirs ?? '')) return;
  const name = (c: string | undefined): string => (c === undefined || c === '' ? 'no cluster' : `cluster "${c}"`);
  throw new ProtocolError(ErrorCode.ClusterMismatch, `cluster mismatch: this side is in ${name(ours)}, ${peer} is in ${name(theirs)}`, {
    wire: WireErrorCode.ClusterMismatch,
  });
}

/** Accepting side, step 1. */
export function createHello(role: ServerRole, nodeId: string, identity: HelloIdentity = {}): HelloMsg {
  return {
    op: Op.Hello,
    version: PROTOCOL_VERSION,
    nonce: randomBytes(NONCE_BYTES),
    role,
    nodeId,
    ...(identity.gatewayId !== undefined && { gatewayId: identity.gatewayId }),
    ...(identity.cluster !== undefined && identity.cluster !== '' && { cluster: identity.cluster }),
  };
}

/** Connecting side: answer a Hello. Throws on a version or cluster mismatch. */
export function answerHello(hello: HelloMsg, secret: string, role: PeerRole, nodeId: string, cluster?: string): AuthMsg {
  const peer = `the ${hello.role} ${hello.nodeId}${hello.gatewayId === undefined ? '' : ` (gateway ${hello.gatewayId})`}`;
  checkVersion(hello.version, peer);
  checkCluster(cluster, hello.cluster, peer);
  const nonce = randomBytes(NONCE_BYTES);
  const proof = mac(secret, 'gateworker/auth/peer', [hello.nonce, nonce, role, nodeId, cluster ?? '']);
  return {
    op: Op.Auth,
    version: PROTOCOL_VERSION,
    role,
    nodeId,
    nonce,
    proof,
    ...(cluster !== undefined && cluster !== '' && { cluster }),
  };
}

/**
 * Accepting side, step 2: check an Auth against the Hello that was sent. Returns the AuthOk to
 * send back. Throws a ProtocolError (VersionMismatch, ClusterMismatch, RoleRefused or AuthFailed).
 */
export function verifyAuth(hello: HelloMsg, auth: AuthMsg, secret: string, allowedRoles: readonly PeerRole[]): AuthOkMsg {
  checkVersion(auth.version, `the ${auth.role} ${auth.nodeId}`);
  checkCluster(hello.cluster, auth.cluster, `the ${auth.role} ${auth.nodeId}`);
  if (!allowedRoles.includes(auth.role)) {
    throw new ProtocolError(ErrorCode.RoleRefused, `role "${auth.role}" is not accepted by a ${hello.role}`, { wire: WireErrorCode.RoleRefused });
  }
  if (auth.nonce.length !== NONCE_BYTES) {
    throw new ProtocolError(ErrorCode.AuthFailed, 'authentication failed: bad nonce', { wire: WireErrorCode.AuthFailed });
  }
  const expected = mac(secret, 'gateworker/auth/peer', [hello.nonce, auth.nonce, auth.role, auth.nodeId, auth.cluster ?? '']);
  if (!sameMac(expected, auth.proof)) {
    throw new ProtocolError(ErrorCode.AuthFailed, 'authentication failed: wrong secret', { wire: WireErrorCode.AuthFailed });
  }
  // The server's proof also covers what its Hello stated (gateway id, cluster), so a worker knows who answered.
  return { op: Op.AuthOk, proof: serverProof(hello, auth, secret) };
}

function serverProof(hello: HelloMsg, auth: AuthMsg, secret: string): Buffer {
  return mac(secret, 'gateworker/auth/server', [auth.nonce, hello.nonce, hello.role, hello.nodeId, hello.gatewayId ?? '', hello.cluster ?? '']);
}

/** Connecting side, step 3: check the accepting side's proof. Throws AuthFailed. */
export function verifyAuthOk(hello: HelloMsg, auth: AuthMsg, ok: AuthOkMsg, secret: string): void {
  const expected = serverProof(hello, auth, secret);
  if (!sameMac(expected, ok.proof)) {
    throw new ProtocolError(ErrorCode.AuthFailed, `authentication failed: the ${hello.role} ${hello.nodeId} does not know the secret`, {
      wire: WireErrorCode.AuthFailed,
    });
  }
}
