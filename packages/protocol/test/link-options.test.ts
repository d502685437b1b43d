import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_LINK_MAX_BUFFERED_BYTES,
  DEFAULT_LINK_OPTIONS,
  DEFAULT_LINK_PING_INTERVAL_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  ErrorCode,
  MIN_LINK_MAX_FRAME_BYTES,
  ProtocolError,
  resolveLinkOptions,
  type LinkOptions,
} from '@gateworker/protocol';

function refused(options: LinkOptions): ProtocolError {
  try {
    resolveLinkOptions(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected the options to be refused');
}

// The one resolver of link options: RegisterServer, RegisterClient, Gateway, BusinessWorker and
// GatewayClient call it (with their own error type), and Link / acceptLink / connectLink take only
// its result.
describe('resolveLinkOptions', () => {
  it('fills every default, with units in the names', () => {
    const defaults = {
      pingIntervalMs: DEFAULT_LINK_PING_INTERVAL_MS,
      timeoutMs: DEFAULT_LINK_TIMEOUT_MS,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      maxBufferedBytes: DEFAULT_LINK_MAX_BUFFERED_BYTES,
      handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
    };
    expect(resolveLinkOptions(undefined)).toEqual(defaults);
    expect(resolveLinkOptions({})).toEqual(defaults);
    expect(resolveLinkOptions({ timeoutMs: undefined })).toEqual(defaults);
    expect(DEFAULT_LINK_OPTIONS).toEqual(defaults);
    expect(defaults).toEqual({
      pingIntervalMs: 5_000,
      timeoutMs: 15_000,
      maxFrameBytes: 16 << 20,
      maxBufferedBytes: 64 << 20,
      handshakeTimeoutMs: 5_000,
    });
  });

  it('keeps given values, 0 disabling pings', () => {
    const given = { pingIntervalMs: 0, timeoutMs: 250, maxFrameBytes: MIN_LINK_MAX_FRAME_BYTES, maxBufferedBytes: 1, handshakeTimeoutMs: 1.5 };
    expect(resolveLinkOptions(given)).toEqual(given);
  });

  it('refuses values that cannot work, naming the key (GW_ERR_INVALID_OPTIONS)', () => {
    const cases: [LinkOptions, string][] = [
      [{ pingIntervalMs: -1 }, 'link.pingIntervalMs'],
      [{ timeoutMs: 0 }, 'link.timeoutMs'],
      [{ timeoutMs: Number.NaN }, 'link.timeoutMs'],
      [{ handshakeTimeoutMs: 0 }, 'link.handshakeTimeoutMs'],
      [{ maxFrameBytes: MIN_LINK_MAX_FRAME_BYTES - 1 }, 'link.maxFrameBytes'],
      [{ maxFrameBytes: 5000.5 }, 'link.maxFrameBytes'],
      [{ maxBufferedBytes: 0 }, 'link.maxBufferedBytes'],
      [{ timeoutMs: '15s' as unknown as number }, 'link.timeoutMs'],
    ];
    for (const [options, key] of cases) {
      const err = refused(options);
      expect(err.code).toBe(ErrorCode.InvalidOptions);
      expect(err.message).toContain(key);
    }
  });

  it("throws the caller's own error when given one", () => {
    class MyError extends Error {}
    expect(() => resolveLinkOptions({ timeoutMs: 0 }, (key, problem) => new MyError(`${key}: ${problem}`))).toThrow(MyError);
  });
});
