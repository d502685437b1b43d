#!/usr/bin/env node
// `npm run bench` — node bench/run.js [scenario...] [--size tiny|small|full] [--flag value ...]
// Runs the named scenarios (default: all) in sequence. Each prints ONE JSON line on stdout
// ({"scenario":"echo",...}) and a readable table on stderr. Flags override the size preset of
// every scenario that knows them (e.g. --conns 200 --seconds 10 --receivers 1000,10000).
// Every process the bench starts is tracked and killed on exit; each scenario has a time limit.
import { performance } from 'node:perf_hooks';
import { installCleanup, killTracked } from './lib/procs.js';
import * as bus from './scenarios/bus.js';
import * as codec from './scenarios/codec.js';
import * as connections from './scenarios/connections.js';
import * as echo from './scenarios/echo.js';
import * as fanout from './scenarios/fanout.js';
import * as ingest from './scenarios/ingest.js';
import * as metrics from './scenarios/metrics.js';
import * as reload from './scenarios/reload.js';

const SCENARIOS = { codec, connections, echo, fanout, ingest, 'reload-under-load': reload, bus, 'metrics-overhead': metrics };
const LIMIT_S = { tiny: 90, small: 600, full: 3600 };

function usage() {
  const lines = Object.entries(SCENARIOS).map(([name, m]) => `  ${name.padEnd(18)} ${m.description}`);
  return [
    'usage: node bench/run.js [scenario...] [--size tiny|small|full] [--flag value ...]',
    '',
    'scenarios (default: all, in this order):',
    ...lines,
    '',
    'flags override the size preset: --conns N --seconds S --inflight K --size-bytes B --receivers 1000,10000',
    '  --broadcasts K --n N --total T --clients M --rate R --gateways G --workers W --procs P --client ws|wsl|tcp',
    '  --limit S (time limit per scenario, seconds). See bench/README.md.',
  ].join('\n');
}

function parseValue(v) {
  if (v === undefined) return true;
  if (v.includes(',')) return v.split(',').map(parseValue);
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

function parseArgs(argv) {
  const names = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') flags.help = true;
    else if (a.startsWith('--')) {
      let [k, v] = a.slice(2).split('=', 2);
      if (v === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('--')) v = argv[++i];
      const key = k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      flags[key] = parseValue(v);
    } else names.push(a);
  }
  return { names, flags };
}

const { names, flags } = parseArgs(process.argv.slice(2));
if (flags.help) {
  console.log(usage());
  process.exit(0);
}
const size = flags.size ?? 'small';
if (!['tiny', 'small', 'full'].includes(size)) {
  console.error(`unknown --size ${size} (tiny|small|full)\n\n${usage()}`);
  process.exit(2);
}
const unknown = names.filter((n) => !(n in SCENARIOS));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}\n\n${usage()}`);
  process.exit(2);
}
const selected = names.length ? names : Object.keys(SCENARIOS);
// --size-bytes sets the payload size (--size is the preset); --limit is the runner's
const { size: _s, sizeBytes, limit, ...overrides } = flags;
if (sizeBytes !== undefined) overrides.size = sizeBytes;
const limitS = limit ?? LIMIT_S[size];

installCleanup();
process.on('unhandledRejection', (err) => {
  console.error('bench: unhandled rejection:', err);
});

let failed = 0;
for (const name of selected) {
  const mod = SCENARIOS[name];
  const opts = { ...mod.sizes[size], ...pick(overrides, Object.keys(mod.sizes[size])) };
  const started = performance.now();
  let result;
  let timer;
  try {
    result = await Promise.race([
      mod.run(opts),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`time limit of ${limitS} s exceeded`)), limitS * 1000);
      }),
    ]);
  } catch (err) {
    failed++;
    result = {
      scenario: name,
      error: String(err?.message ?? err)
        .split('\n')
        .slice(0, 12)
        .join('\n'),
    };
    killTracked('SIGKILL'); // whatever the failed scenario left running
  } finally {
    clearTimeout(timer);
  }
  const { scenario, ...rest } = result;
  const line = {
    scenario: scenario ?? name,
    size,
    elapsedS: Math.round((performance.now() - started) / 100) / 10,
    ...rest,
    at: new Date().toISOString(),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
  try {
    process.stderr.write('\n' + (result.error ? `${name}: ERROR ${result.error}\n` : mod.format(result)) + '\n');
  } catch (err) {
    process.stderr.write(`${name}: (could not format the table: ${err.message})\n`);
  }
}
killTracked('SIGKILL');
// stray handles (a trigger socket of a failed scenario) must not keep the bench alive
process.stdout.write('', () => process.exit(failed ? 1 : 0));

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
