/** Version of the internal protocol, checked at handshake. Bump on any incompatible wire change. */
export const PROTOCOL_VERSION = 2;
