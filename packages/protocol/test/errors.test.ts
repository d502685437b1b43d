import { describe, expect, it } from 'vitest';
import { ErrorCode, isProtocolError, ProtocolError, WireErrorCode } from '@gateworker/protocol';

describe('error catalogue', () => {
  const codes = Object.values(ErrorCode);
  const wires = Object.values(WireErrorCode);

  it('every ErrorCode is unique and starts with GW_ERR_', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^GW_ERR_[A-Z_]+$/);
  });

  it('every WireErrorCode number is unique and a small positive integer', () => {
    expect(new Set(wires).size).toBe(wires.length);
    for (const wire of wires) {
      expect(Number.isInteger(wire)).toBe(true);
      expect(wire).toBeGreaterThan(0);
    }
  });

  it('every wire code names an ErrorCode of the same key, and maps back to it from an Error frame', () => {
    for (const [key, wire] of Object.entries(WireErrorCode)) {
      const code = (ErrorCode as Record<string, string>)[key];
      expect(code, key).toBeDefined();
      const err = ProtocolError.fromWire(wire, 'boom');
      expect(err.code).toBe(code);
      expect(err.message).toBe('peer: boom');
      // An error reported by the peer is not re-sent to it.
      expect(err.wire).toBeUndefined();
    }
  });

  it('an unknown wire code becomes GW_ERR_PEER', () => {
    expect(ProtocolError.fromWire(0, 'x').code).toBe(ErrorCode.PeerError);
    expect(ProtocolError.fromWire(9999, 'x').code).toBe(ErrorCode.PeerError);
  });

  it('factory helpers set the code, the wire code and a useful message', () => {
    const tooLarge = ProtocolError.frameTooLarge(10, 5);
    expect([tooLarge.code, tooLarge.wire]).toEqual([ErrorCode.FrameTooLarge, WireErrorCode.FrameTooLarge]);
    expect(tooLarge.message).toContain('10');
    const malformed = ProtocolError.malformed('x');
    expect([malformed.code, malformed.wire]).toEqual([ErrorCode.MalformedFrame, WireErrorCode.MalformedFrame]);
    const invalid = ProtocolError.invalid('BindUid', 'field "uid"');
    expect([invalid.code, invalid.wire]).toEqual([ErrorCode.InvalidMessage, WireErrorCode.InvalidMessage]);
    expect(invalid.message).toContain('BindUid');
  });

  it('ProtocolError is an Error with a name, and passes its cause through', () => {
    const cause = new Error('inner');
    const err = new ProtocolError(ErrorCode.LinkClosed, 'closed', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ProtocolError');
    expect(err.cause).toBe(cause);
    expect(isProtocolError(err)).toBe(true);
    expect(isProtocolError(cause)).toBe(false);
    expect('cause' in new ProtocolError(ErrorCode.LinkClosed, 'closed')).toBe(false);
  });
});
