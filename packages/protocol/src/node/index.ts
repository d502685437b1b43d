/** Socket helpers for the internal protocol: framed heartbeated links and the handshake over TCP. */
export {
  Link,
  dial,
  DEFAULT_LINK_MAX_BUFFERED_BYTES,
  DEFAULT_LINK_PING_INTERVAL_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  LINK_CHECK_GRANULARITY_MS,
} from './link.js';
export type { LinkOptions, MessageHandler, CloseHandler } from './link.js';
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
