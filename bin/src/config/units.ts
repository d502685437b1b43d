/** Parsing of human-friendly durations ("25s", "500ms", "2m", plain numbers = ms) and sizes ("1MiB", "64KB", plain numbers = bytes). */

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

function parseWithUnits(value: string | number, units: Record<string, number>, defaultUnit: string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (m === null) return null;
  const factor = units[(m[2] === '' ? defaultUnit : (m[2] as string)).toLowerCase()];
  return factor === undefined ? null : Math.round(Number(m[1]) * factor);
}

/** Milliseconds, or null when the value is not a duration. */
export function parseDurationMs(value: string | number): number | null {
  return parseWithUnits(value, DURATION_UNITS_MS, 'ms');
}

/** Bytes, or null when the value is not a size. */
export function parseSizeBytes(value: string | number): number | null {
  return parseWithUnits(value, SIZE_UNITS, 'b');
}
