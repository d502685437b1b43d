import { describe, expect, it } from 'vitest';
import { clientIdFor, newGatewayId, parseClientId } from '@gateworker/protocol';

describe('client ids', () => {
  it('round trip', () => {
    const g = newGatewayId();
    const id = clientIdFor(g, 2 ** 48 - 1);
    expect(id.length).toBeLessThanOrEqual(22);
    expect(parseClientId(id)).toEqual({ gatewayId: g, client: 2 ** 48 - 1 });
  });
});
