// codec: runs bench/codec.js (written with the protocol package) when it exists; its result is
// printed as the scenario's JSON line.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { table } from '../lib/report.js';

export const description = 'internal protocol codec micro-benchmark (bench/codec.js)';
export const sizes = { tiny: { seconds: 0.3 }, small: { seconds: 1 }, full: { seconds: 3 } };

const FILE = fileURLToPath(new URL('../codec.js', import.meta.url));

export async function run(o) {
  if (!existsSync(FILE)) return { scenario: 'codec', skipped: 'bench/codec.js does not exist yet' };
  const mod = await import(FILE);
  if (typeof mod.run !== 'function') return { scenario: 'codec', skipped: 'bench/codec.js exports no run()' };
  const result = await mod.run({ seconds: o.seconds });
  return { ...(result && typeof result === 'object' ? result : { result }), scenario: 'codec' };
}

export function format(r) {
  if (r.skipped) return `codec: skipped (${r.skipped})\n`;
  const rows = [['key', 'value']];
  const walk = (obj, prefix) => {
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'scenario') continue;
      if (Array.isArray(v) && v.every((x) => x && typeof x === 'object')) {
        v.forEach((x, i) => {
          const label = [x.message ?? x.name ?? i, x.payloadBytes === undefined ? '' : `${x.payloadBytes}B`].filter(Boolean).join(' ');
          const { message, name, payloadBytes, ...rest } = x;
          walk(rest, `${prefix}${k}[${label}].`);
        });
      } else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, `${prefix}${k}.`);
      else rows.push([`${prefix}${k}`, Array.isArray(v) ? JSON.stringify(v) : v]);
    }
  };
  walk(r, '');
  return table('codec', rows);
}
