/** Socket helpers for the internal protocol: framed heartbeated links and the handshake over TCP. */
export { Link, dial, LINK_CHECK_GRANULARITY_MS } from './link.js';
export type { LinkFlush, MessageHandler, CloseHandler } from './link.js';
// The link's options are plain data, in @gateworker/protocol; here too for code that imports them from /node.
export {
  DEFAULT_LINK_MAX_BUFFERED_BYTES,
  DEFAULT_LINK_PING_INTERVAL_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  DEFAULT_LINK_OPTIONS,
  MIN_LINK_MAX_FRAME_BYTES,
  resolveLinkOptions,
} from '../link-options.js';
export type { LinkOptions, ResolvedLinkOptions, InvalidOptionError } from '../link-options.js';
export { acceptLink, connectLink } from './handshake.js';
// eslint-disable-next-line @typescript-eslint/no-deprecated -- kept exported for code written against the old names
export { parseHostPort, formatHostPort } from './deprecated.js';
export type { AcceptOptions, AcceptedLink, ConnectOptions, ConnectedLink } from './handshake.js';
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { PreAuthLimiter, DEFAULT_MAX_PREAUTH_CONNECTIONS, DEFAULT_MAX_PREAUTH_PER_ADDRESS } from './preauth.js';
export type { PreAuthLimits } from './preauth.js';
export { Lifecycle, withTimeout } from './lifecycle.js';
export { listen, boundAddress } from './listen.js';
export type { BoundAddress } from './listen.js';
