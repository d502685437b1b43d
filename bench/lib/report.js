// Readable tables for stderr, next to the one JSON line per scenario on stdout.
export function table(title, rows) {
  if (rows.length === 0) return `${title}\n  (no rows)\n`;
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : typeof c === 'number' ? fmt(c) : String(c))));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const lines = cells.map((r, k) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  lines.splice(1, 0, '  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  return `${title}\n${lines.join('\n')}\n`;
}

export function fmt(n) {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}

export const round = (n, d = 2) => (n === null || n === undefined || !Number.isFinite(n) ? null : Math.round(n * 10 ** d) / 10 ** d);
export const kb = (bytes) => round(bytes / 1024, 2);
