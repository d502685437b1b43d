import { MAX_UID_LENGTH } from '@gateworker/protocol';
import { z } from 'zod';

/**
 * The bus message: one JSON object per Redis publish / AMQP message, defined once here. The
 * JSON Schema in docs/bus-message.schema.json is generated from it (`busMessageJsonSchema()`), and
 * a test checks the committed file matches.
 *
 * Every op names its targets in exactly one way (`uid` or `uids`, …) and carries its payload in
 * exactly one way (`data` for text, `dataBase64` for binary; optional for closeClient), so each op
 * is a union of strict objects: an unknown field, or two ways at once, is a bad message.
 */

/** The ops, in the order the docs list them. */
export const BUS_OPS = ['sendToAll', 'sendToClient', 'sendToUid', 'sendToGroup', 'closeClient'] as const;
export type BusOp = (typeof BUS_OPS)[number];

/** A client id: Crockford base32, a 12-character gateway id then the client number (see @gateworker/protocol). */
const clientId = z
  .string()
  .regex(/^[0-9a-hjkmnp-tv-z]{13,22}$/, 'not a client id')
  .describe('A client id as handlers see it (client.id): names its gateway');
const name = (what: string) => z.string().min(1).max(MAX_UID_LENGTH).describe(what);
const uid = name('A uid bound with bindUid');
const group = name('A group name');
const exclude = z.union([clientId, z.array(clientId)]).describe('Client id(s) that must not receive this message');

const text = { data: z.string().describe('The message, sent to clients as text') };
const binary = { dataBase64: z.base64().describe('The message, base64-encoded, sent to clients as binary') };

type Shape = Record<string, z.ZodType>;

/** One strict object per (targets, payload) pair. */
function variants<O extends BusOp, const T extends readonly Shape[], const P extends readonly Shape[]>(op: O, targets: T, payloads: P) {
  const objects = targets.flatMap((t) => payloads.map((p) => z.strictObject({ op: z.literal(op), ...t, ...p })));
  return z.union(objects as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

const sendPayloads = [text, binary] as const;

/** Schema per op; the message schema is their union. Parsing dispatches on `op` first. */
export const opSchemas = {
  sendToAll: variants('sendToAll', [{ exclude: exclude.optional() }], sendPayloads),
  sendToClient: variants('sendToClient', [{ id: clientId }, { ids: z.array(clientId) }], sendPayloads),
  sendToUid: variants('sendToUid', [{ uid }, { uids: z.array(uid) }], sendPayloads),
  sendToGroup: variants(
    'sendToGroup',
    [
      { group, exclude: exclude.optional() },
      { groups: z.array(group), exclude: exclude.optional() },
    ],
    sendPayloads,
  ),
  closeClient: variants('closeClient', [{ id: clientId }], [text, binary, {}]),
} as const satisfies Record<BusOp, z.ZodType>;

export const busMessageSchema = z
  .union(BUS_OPS.map((op) => opSchemas[op]) as unknown as [z.ZodType, ...z.ZodType[]])
  .describe('A gateworker bus message: one JSON object per Redis publish or AMQP message');

/** A validated message, normalised: targets as arrays, payload as bytes (null: none, closeClient only). */
export type BusCommand =
  | { op: 'sendToAll'; exclude: string[]; payload: Buffer; binary: boolean }
  | { op: 'sendToClient'; ids: string[]; payload: Buffer; binary: boolean }
  | { op: 'sendToUid'; uids: string[]; payload: Buffer; binary: boolean }
  | { op: 'sendToGroup'; groups: string[]; exclude: string[]; payload: Buffer; binary: boolean }
  | { op: 'closeClient'; id: string; payload: Buffer | null; binary: boolean };

/** Why a message was ignored: the label of gateworker_bus_rejected_total{reason}. */
export const RejectReason = {
  TooLarge: 'too_large',
  NotJson: 'not_json',
  UnknownOp: 'unknown_op',
  Invalid: 'invalid',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export type ParseResult = { ok: true; command: BusCommand } | { ok: false; reason: RejectReason; detail: string };

const OPS = new Set<string>(BUS_OPS);

function list<T>(one: T | undefined, many: T[] | undefined): T[] {
  return many ?? (one === undefined ? [] : [one]);
}

interface Loose {
  op: BusOp;
  id?: string;
  ids?: string[];
  uid?: string;
  uids?: string[];
  group?: string;
  groups?: string[];
  exclude?: string | string[];
  data?: string;
  dataBase64?: string;
}

/**
 * Parses one message body (the caller has checked its size). Never throws: a bad message comes
 * back as `{ ok: false, reason, detail }`, the detail short enough for a log line.
 */
export function parseBusMessage(body: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: RejectReason.NotJson, detail: (err as Error).message };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: RejectReason.Invalid, detail: 'not a JSON object' };
  }
  const op = (value as { op?: unknown }).op;
  if (typeof op !== 'string' || !OPS.has(op)) {
    return { ok: false, reason: RejectReason.UnknownOp, detail: `op ${JSON.stringify(op) ?? 'missing'} is not one of ${BUS_OPS.join(', ')}` };
  }
  const parsed = opSchemas[op as BusOp].safeParse(value);
  if (!parsed.success) return { ok: false, reason: RejectReason.Invalid, detail: z.prettifyError(parsed.error).slice(0, 500) };
  const m = parsed.data as unknown as Loose;
  const binary = m.dataBase64 !== undefined;
  const payload = binary ? Buffer.from(m.dataBase64 as string, 'base64') : m.data === undefined ? null : Buffer.from(m.data, 'utf8');
  const excluded = typeof m.exclude === 'string' ? [m.exclude] : (m.exclude ?? []);
  switch (m.op) {
    case 'sendToAll':
      return { ok: true, command: { op: 'sendToAll', exclude: excluded, payload: payload as Buffer, binary } };
    case 'sendToClient':
      return { ok: true, command: { op: 'sendToClient', ids: list(m.id, m.ids), payload: payload as Buffer, binary } };
    case 'sendToUid':
      return { ok: true, command: { op: 'sendToUid', uids: list(m.uid, m.uids), payload: payload as Buffer, binary } };
    case 'sendToGroup':
      return { ok: true, command: { op: 'sendToGroup', groups: list(m.group, m.groups), exclude: excluded, payload: payload as Buffer, binary } };
    case 'closeClient':
      return { ok: true, command: { op: 'closeClient', id: m.id as string, payload, binary } };
  }
}

/** The JSON Schema (draft 2020-12) of a bus message, as committed in docs/bus-message.schema.json. */
export function busMessageJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(busMessageSchema, { target: 'draft-2020-12', io: 'input' }),
    title: 'gateworker bus message',
  };
}
