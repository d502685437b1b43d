#!/usr/bin/env node
// The `gateworker` command. npm links this file on install; it runs the compiled CLI, which
// `npm install` builds (the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('./dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('gateworker: the CLI is not built yet; run `npm run build` (npm install does it) and try again\n');
  process.exit(1);
}
await import(entry.href);
