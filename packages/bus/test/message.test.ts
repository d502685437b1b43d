import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busMessageJsonSchema, parseBusMessage, RejectReason } from '../src/index.js';

const ID = '0000000000001'; // gateway 000000000000, client 1
const ID2 = '00000000000z2';

function ok(message: unknown) {
  const r = parseBusMessage(JSON.stringify(message));
  if (!r.ok) throw new Error(`expected ${JSON.stringify(message)} to parse: ${r.detail}`);
  return r.command;
}

function reason(body: string): string {
  const r = parseBusMessage(body);
  if (r.ok) throw new Error(`expected ${body} to be rejected`);
  return r.reason;
}

describe('parseBusMessage', () => {
  it('normalises every op and target form', () => {
    expect(ok({ op: 'sendToUid', uid: 'u1', data: 'hello' })).toEqual({
      op: 'sendToUid',
      uids: ['u1'],
      payload: Buffer.from('hello'),
      binary: false,
    });
    expect(ok({ op: 'sendToUid', uids: ['a', 'b'], dataBase64: 'AAEC' })).toEqual({
      op: 'sendToUid',
      uids: ['a', 'b'],
      payload: Buffer.from([0, 1, 2]),
      binary: true,
    });
    expect(ok({ op: 'sendToAll', data: 'x' })).toEqual({ op: 'sendToAll', exclude: [], payload: Buffer.from('x'), binary: false });
    expect(ok({ op: 'sendToAll', data: 'x', exclude: ID })).toMatchObject({ exclude: [ID] });
    expect(ok({ op: 'sendToAll', data: 'x', exclude: [ID, ID2] })).toMatchObject({ exclude: [ID, ID2] });
    expect(ok({ op: 'sendToClient', id: ID, data: 'x' })).toMatchObject({ op: 'sendToClient', ids: [ID] });
    expect(ok({ op: 'sendToClient', ids: [ID, ID2], data: 'x' })).toMatchObject({ ids: [ID, ID2] });
    expect(ok({ op: 'sendToGroup', group: 'g', data: 'x' })).toMatchObject({ op: 'sendToGroup', groups: ['g'], exclude: [] });
    expect(ok({ op: 'sendToGroup', groups: ['g', 'h'], exclude: [ID], data: 'x' })).toMatchObject({ groups: ['g', 'h'], exclude: [ID] });
    expect(ok({ op: 'closeClient', id: ID })).toEqual({ op: 'closeClient', id: ID, payload: null, binary: false });
    expect(ok({ op: 'closeClient', id: ID, data: 'bye' })).toEqual({ op: 'closeClient', id: ID, payload: Buffer.from('bye'), binary: false });
    expect(ok({ op: 'closeClient', id: ID, dataBase64: '/w==' })).toEqual({ op: 'closeClient', id: ID, payload: Buffer.from([255]), binary: true });
    expect(ok({ op: 'sendToAll', data: '' })).toMatchObject({ payload: Buffer.alloc(0) });
  });

  it('rejects with a reason', () => {
    expect(reason('not json')).toBe(RejectReason.NotJson);
    expect(reason('{"op":"sendToAll","data":"x"')).toBe(RejectReason.NotJson);
    expect(reason('[1,2]')).toBe(RejectReason.Invalid);
    expect(reason('"sendToAll"')).toBe(RejectReason.Invalid);
    expect(reason('null')).toBe(RejectReason.Invalid);
    expect(reason('{"data":"x"}')).toBe(RejectReason.UnknownOp);
    expect(reason('{"op":"sendToMoon","data":"x"}')).toBe(RejectReason.UnknownOp);
    expect(reason('{"op":7,"data":"x"}')).toBe(RejectReason.UnknownOp);
    expect(reason('{"op":"toString","data":"x"}')).toBe(RejectReason.UnknownOp);
    const invalid = [
      { op: 'sendToUid', uid: 1, data: 'x' },
      { op: 'sendToUid', uid: 'u', uids: ['u'], data: 'x' }, // two ways to name targets
      { op: 'sendToUid', uid: 'u' }, // no payload
      { op: 'sendToUid', uid: 'u', data: 'x', dataBase64: 'eA==' }, // two payloads
      { op: 'sendToUid', uid: '', data: 'x' },
      { op: 'sendToUid', uid: 'u'.repeat(1025), data: 'x' },
      { op: 'sendToUid', uid: 'u', data: 5 },
      { op: 'sendToUid', uid: 'u', dataBase64: 'not base64!' },
      { op: 'sendToUid', uid: 'u', data: 'x', extra: true },
      { op: 'sendToClient', id: 'NOT-AN-ID', data: 'x' },
      { op: 'sendToClient', data: 'x' },
      { op: 'sendToAll', data: 'x', exclude: 5 },
      { op: 'sendToGroup', groups: 'g', data: 'x' },
      { op: 'closeClient', ids: [ID] },
    ];
    for (const m of invalid) expect(reason(JSON.stringify(m)), JSON.stringify(m)).toBe(RejectReason.Invalid);
  });

  it('keeps the detail short enough for a log line', () => {
    const r = parseBusMessage(JSON.stringify({ op: 'sendToUid', uids: Array.from({ length: 5000 }, () => 7), data: 'x' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail.length).toBeLessThanOrEqual(500);
  });
});

describe('docs/bus-message.schema.json', () => {
  it('is the JSON Schema generated from the zod schema (regenerate: node packages/bus/scripts/write-json-schema.mjs)', () => {
    const committed: unknown = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../docs/bus-message.schema.json'), 'utf8'));
    expect(committed).toEqual(busMessageJsonSchema());
  });

  it('describes every op', () => {
    const text = JSON.stringify(busMessageJsonSchema());
    for (const op of ['sendToAll', 'sendToClient', 'sendToUid', 'sendToGroup', 'closeClient']) expect(text).toContain(`"const":"${op}"`);
  });
});
