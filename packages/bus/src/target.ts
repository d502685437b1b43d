import type { LocalCommand, MembershipChange } from '@gateworker/gateway';

/**
 * What the bus needs from a gateway: its id (client ids name it), a way to apply a command to
 * its own clients, and its uid / group membership for routing-mode bindings. A Gateway is one.
 */
export interface BusTarget {
  readonly gatewayId: string;
  applyLocal(command: LocalCommand): number;
  membership(): { uids: string[]; groups: string[] };
  on(event: 'membership-change', listener: (change: MembershipChange) => void): unknown;
  off(event: 'membership-change', listener: (change: MembershipChange) => void): unknown;
}
