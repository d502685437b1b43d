import { describe, expect, it } from 'vitest';
import {
  answerHello,
  createHello,
  decodeMessage,
  encodeMessage,
  ErrorCode,
  NONCE_BYTES,
  Op,
  PROTOCOL_VERSION,
  verifyAuth,
  verifyAuthOk,
} from '@gateworker/protocol';
import type { AuthMsg, AuthOkMsg, HelloMsg, Message, PeerRole } from '@gateworker/protocol';
import { expectProtocolError } from './helpers.js';

const SECRET = 'change-me';
const ALL_PEERS: readonly PeerRole[] = ['gateway', 'worker', 'client'];

/** Through the codec, as it would travel. */
function wire<M extends Message>(message: M): M {
  return decodeMessage(encodeMessage(message).subarray(4)) as M;
}

describe('handshake (pure functions)', () => {
  it('creates a Hello with a fresh nonce and the current version', () => {
    const a = createHello('register', 'reg-1');
    const b = createHello('register', 'reg-1');
    expect(a).toMatchObject({ op: Op.Hello, version: PROTOCOL_VERSION, role: 'register', nodeId: 'reg-1' });
    expect(a.nonce.length).toBe(NONCE_BYTES);
    expect(Buffer.from(a.nonce).equals(Buffer.from(b.nonce))).toBe(false);
  });

  it('succeeds both ways with the right secret, through the codec', () => {
    const hello = wire(createHello('gateway', 'gw-1'));
    const auth = wire(answerHello(hello, SECRET, 'worker', 'w-1'));
    expect(auth).toMatchObject({ op: Op.Auth, version: PROTOCOL_VERSION, role: 'worker', nodeId: 'w-1' });
    expect(auth.nonce.length).toBe(NONCE_BYTES);
    const ok = wire(verifyAuth(hello, auth, SECRET, ['worker', 'client']));
    expect(ok.op).toBe(Op.AuthOk);
    expect(() => verifyAuthOk(hello, auth, ok, SECRET)).not.toThrow();
  });

  it('never puts the secret on the wire', () => {
    const secret = 'a-very-recognisable-secret';
    const hello = createHello('gateway', 'gw-1');
    const auth = answerHello(hello, secret, 'worker', 'w-1');
    const ok = verifyAuth(hello, auth, secret, ALL_PEERS);
    for (const m of [hello, auth, ok] as Message[]) expect(encodeMessage(m).includes(Buffer.from(secret))).toBe(false);
  });

  it('fails with AuthFailed on the accepting side when the peer has the wrong secret', () => {
    const hello = createHello('register', 'reg');
    const auth = answerHello(hello, 'wrong', 'gateway', 'gw-1');
    const err = expectProtocolError(() => verifyAuth(hello, auth, SECRET, ALL_PEERS), ErrorCode.AuthFailed);
    expect(err.wire).toBe(6);
  });

  it('fails verifyAuthOk when a fake server does not know the secret', () => {
    const hello = createHello('gateway', 'gw-1');
    const auth = answerHello(hello, SECRET, 'worker', 'w-1');
    // A server that does not know the secret can only guess the proof, or compute it with another secret.
    const guessed: AuthOkMsg = { op: Op.AuthOk, proof: Buffer.alloc(32) };
    const otherSecret = verifyAuth(hello, answerHello(hello, 'other', 'worker', 'w-1'), 'other', ALL_PEERS);
    const empty: AuthOkMsg = { op: Op.AuthOk, proof: Buffer.alloc(0) };
    for (const ok of [guessed, otherSecret, empty]) expectProtocolError(() => verifyAuthOk(hello, auth, ok, SECRET), ErrorCode.AuthFailed);
  });

  it('binds the proofs to the nonces, roles and node ids', () => {
    const hello = createHello('gateway', 'gw-1');
    const auth = answerHello(hello, SECRET, 'worker', 'w-1');
    // Replayed against another Hello (another nonce): refused.
    expectProtocolError(() => verifyAuth(createHello('gateway', 'gw-1'), auth, SECRET, ALL_PEERS), ErrorCode.AuthFailed);
    // The peer's claimed role or node id altered in transit: refused.
    expectProtocolError(() => verifyAuth(hello, { ...auth, nodeId: 'w-2' }, SECRET, ALL_PEERS), ErrorCode.AuthFailed);
    expectProtocolError(() => verifyAuth(hello, { ...auth, role: 'client' }, SECRET, ALL_PEERS), ErrorCode.AuthFailed);
    // A nonce of the wrong size: refused before any MAC is computed.
    expectProtocolError(() => verifyAuth(hello, { ...auth, nonce: Buffer.alloc(4) }, SECRET, ALL_PEERS), ErrorCode.AuthFailed);
    // The server's AuthOk for one exchange does not verify another.
    const ok = verifyAuth(hello, auth, SECRET, ALL_PEERS);
    const auth2 = answerHello(hello, SECRET, 'worker', 'w-1');
    expectProtocolError(() => verifyAuthOk(hello, auth2, ok, SECRET), ErrorCode.AuthFailed);
  });

  it('refuses a version mismatch on the connecting side', () => {
    const hello: HelloMsg = { ...createHello('gateway', 'gw-1'), version: PROTOCOL_VERSION + 1 };
    const err = expectProtocolError(() => answerHello(hello, SECRET, 'worker', 'w-1'), ErrorCode.VersionMismatch);
    expect(err.wire).toBe(5);
    expect(err.message).toContain(String(PROTOCOL_VERSION + 1));
  });

  it('refuses a version mismatch on the accepting side, even with a good proof', () => {
    const hello = createHello('gateway', 'gw-1');
    const auth: AuthMsg = { ...answerHello(hello, SECRET, 'worker', 'w-1'), version: 0 };
    expectProtocolError(() => verifyAuth(hello, auth, SECRET, ALL_PEERS), ErrorCode.VersionMismatch);
  });

  it('refuses a role the accepting side does not take', () => {
    const hello = createHello('gateway', 'gw-1');
    const auth = answerHello(hello, SECRET, 'gateway', 'gw-2');
    const err = expectProtocolError(() => verifyAuth(hello, auth, SECRET, ['worker', 'client']), ErrorCode.RoleRefused);
    expect(err.wire).toBe(8);
  });

  it('checks the role before the proof, so a refused role is reported as such', () => {
    const hello = createHello('gateway', 'gw-1');
    const auth = answerHello(hello, 'wrong', 'gateway', 'gw-2');
    expectProtocolError(() => verifyAuth(hello, auth, SECRET, ['worker']), ErrorCode.RoleRefused);
  });

  it('states the gateway id and cluster in the Hello, and binds them to the server proof', () => {
    const hello = wire(createHello('gateway', 'gw-1', { gatewayId: '0ghpn3a5vq1z', cluster: 'prod' }));
    expect(hello).toMatchObject({ gatewayId: '0ghpn3a5vq1z', cluster: 'prod' });
    const auth = wire(answerHello(hello, SECRET, 'worker', 'w-1', 'prod'));
    expect(auth.cluster).toBe('prod');
    const ok = verifyAuth(hello, auth, SECRET, ALL_PEERS);
    expect(() => verifyAuthOk(hello, auth, ok, SECRET)).not.toThrow();
    // A Hello altered in transit (another gateway id) does not verify.
    expectProtocolError(() => verifyAuthOk({ ...hello, gatewayId: '0ghpn3a5vq20' }, auth, ok, SECRET), ErrorCode.AuthFailed);
    // The cluster claimed by the peer is covered by its proof.
    expectProtocolError(() => verifyAuth({ ...hello, cluster: 'dev' }, { ...auth, cluster: 'dev' }, SECRET, ALL_PEERS), ErrorCode.AuthFailed);
  });

  it('refuses a different cluster on both ends (unset counts as no cluster)', () => {
    const prod = createHello('gateway', 'gw-1', { cluster: 'prod' });
    const err = expectProtocolError(() => answerHello(prod, SECRET, 'worker', 'w-1', 'dev'), ErrorCode.ClusterMismatch);
    expect(err.wire).toBe(11);
    expect(err.message).toContain('"prod"');
    expect(err.message).toContain('"dev"');
    expectProtocolError(() => answerHello(prod, SECRET, 'worker', 'w-1'), ErrorCode.ClusterMismatch);
    // The accepting side checks too (a peer that skipped its own check).
    const none = createHello('gateway', 'gw-1');
    const forged: AuthMsg = { ...answerHello(none, SECRET, 'worker', 'w-1'), cluster: 'dev' };
    expectProtocolError(() => verifyAuth(none, forged, SECRET, ALL_PEERS), ErrorCode.ClusterMismatch);
    expectProtocolError(() => verifyAuth(prod, answerHello(none, SECRET, 'worker', 'w-1'), SECRET, ALL_PEERS), ErrorCode.ClusterMismatch);
  });

  it('accepts an empty secret on both sides (loopback only, enforced by the caller)', () => {
    const hello = createHello('register', 'reg');
    const auth = answerHello(hello, '', 'client', 'c');
    const ok = verifyAuth(hello, auth, '', ALL_PEERS);
    expect(() => verifyAuthOk(hello, auth, ok, '')).not.toThrow();
    expectProtocolError(() => verifyAuth(hello, auth, SECRET, ALL_PEERS), ErrorCode.AuthFailed);
  });
});
