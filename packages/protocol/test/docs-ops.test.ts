import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isStreamOp, Op, OpRoute, QueryKind, WireErrorCode, type Role } from '@gateworker/protocol';

// docs/protocol.md is the reference a peer in another language is written from: its tables must
// say what the code does. Opcodes and their directions are declared once (`Op`, `OpRoute`); this
// test checks the page against them both ways, so neither can drift alone.

const DOC = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');
const ROLES: readonly Role[] = ['register', 'gateway', 'worker', 'client'];

/** The lines of the section under `## title`, up to the next `## `. */
function section(title: string): string[] {
  const lines = DOC.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`docs/protocol.md has no "## ${title}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** `worker / client` → the roles; `any` → all four. */
function roles(side: string, row: string): string[] {
  const names = side
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'any') return [...ROLES].sort();
  for (const name of names) expect(ROLES, `unknown role "${name}" in: ${row}`).toContain(name);
  return names.sort();
}

interface Row {
  num: number;
  name: string;
  from: string[];
  to: string[];
}

function opcodeRows(): Row[] {
  const rows: Row[] = [];
  for (const line of section('Opcodes')) {
    const m = /^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|([^|]*)\|/.exec(line);
    if (m === null) continue;
    // A note in parentheses is not part of the direction.
    const direction = m[3]!.replace(/\([^)]*\)/g, '').trim();
    const sides = direction.split('→');
    expect(sides, `direction "${direction}" is not "senders → receivers"`).toHaveLength(2);
    rows.push({ num: Number(m[1]), name: m[2]!, from: roles(sides[0]!, line), to: roles(sides[1]!, line) });
  }
  return rows;
}

describe('docs/protocol.md against the protocol', () => {
  it('lists every opcode once, with its number and direction, and nothing else', () => {
    const rows = opcodeRows();
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(byName.size, 'an opcode is listed twice').toBe(rows.length);
    expect([...byName.keys()].sort()).toEqual(Object.keys(Op).sort());
    for (const [name, num] of Object.entries(Op)) {
      const row = byName.get(name)!;
      const route = OpRoute[num];
      expect(row.num, `${name}'s number`).toBe(num);
      expect(row.from, `${name}: who sends it`).toEqual([...route.from].sort());
      expect(row.to, `${name}: who receives it`).toEqual([...route.to].sort());
    }
  });

  it('names exactly the stream ops OpRoute marks', () => {
    const text = section('Command streams').join(' ');
    const list = /the \*\*stream ops\*\* ([^—]*)—/.exec(text);
    expect(list, 'the stream op list').not.toBeNull();
    const listed = [...list![1]!.matchAll(/`(\w+)`/g)].map(([, name]) => name!);
    const marked = Object.entries(Op)
      .filter(([, op]) => 'stream' in OpRoute[op])
      .map(([name]) => name);
    expect(listed.sort()).toEqual(marked.sort());
    for (const [name, op] of Object.entries(Op)) expect(isStreamOp(op), name).toBe(marked.includes(name));
  });

  it('lists every query kind with its number, and nothing else', () => {
    const text = section('Control messages (msgpack)').join(' ');
    const list = /`Query\.kind` is a `QueryKind` number \(([^)]*)\)/.exec(text);
    expect(list, 'the QueryKind list').not.toBeNull();
    const listed = [...list![1]!.matchAll(/(\d+)\s+`(\w+)`/g)].map(([, num, name]) => [name!, Number(num)] as const);
    expect(Object.fromEntries(listed)).toEqual({ ...QueryKind });
    expect(listed).toHaveLength(Object.keys(QueryKind).length);
  });

  it('lists every wire error code with its number, and no other number', () => {
    const listed = new Map<string, string>();
    for (const line of section('Errors')) {
      const m = /^\|\s*`(GW_ERR_\w+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
      if (m !== null) listed.set(m[1]!, m[2]!);
    }
    const codes = ErrorCode as Record<string, string>;
    const wired = new Set<string>();
    for (const [key, wire] of Object.entries(WireErrorCode)) {
      const code = codes[key]!;
      wired.add(code);
      expect(listed.get(code), `${code} (wire ${wire})`).toBe(String(wire));
    }
    for (const [code, wire] of listed) if (!wired.has(code)) expect(wire, `${code} has no wire code`).toBe('—');
  });
});
