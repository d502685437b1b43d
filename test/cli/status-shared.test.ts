import { describe, expect, it } from 'vitest';
import type { ClusterStatus, GatewayInfo } from '@gateworker/protocol';
import { formatRegisterStatus, sharedAddresses } from '../../bin/src/commands/status-format.js';

const stats = { clients: 0, uids: 0, groups: 0, workers: 1, pending: 0 };
const gw = (gatewayId: string, address: string): GatewayInfo => ({ gatewayId, nodeId: 'n', address, processIndex: 0, pid: 1, stats });

describe('status: gateways announcing one address', () => {
  it('lists every address announced by more than one gateway, and the text view warns', () => {
    const gateways = [gw('gwaaaaaaaaaa', '127.0.0.1:2900'), gw('gwbbbbbbbbbb', '127.0.0.1:2900'), gw('gwcccccccccc', '10.0.0.7:2900')];
    expect(sharedAddresses(gateways)).toEqual([{ address: '127.0.0.1:2900', gateways: ['gwaaaaaaaaaa', 'gwbbbbbbbbbb'] }]);
    const status: ClusterStatus = { register: { nodeId: 'r', pid: 1, uptimeMs: 1000 }, gateways, workers: [] };
    const text = formatRegisterStatus(status);
    expect(text).toContain('WARNING: gateways gwaaaaaaaaaa, gwbbbbbbbbbb all announce 127.0.0.1:2900');
    expect(formatRegisterStatus({ ...status, gateways: gateways.slice(1) })).not.toContain('WARNING');
  });
});
