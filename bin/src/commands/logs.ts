import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { logFileFor } from './daemon.js';

/**
 * `gateworker logs [-f]`: prints the log file of a cluster started with `start -d`; `-f` follows
 * it like `tail -F`, across a logrotate (a new file under the same name is read from its start).
 */

/** How often `-f` looks for new lines, in ms. */
const FOLLOW_POLL_MS = 200;
const CHUNK_BYTES = 64 * 1024;

/** Copies `file` from `offset` to stdout; returns the new offset. */
function copy(file: string, offset: number): number {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(CHUNK_BYTES);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      if (n === 0) return offset;
      process.stdout.write(buffer.subarray(0, n));
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
}

export async function runLogs(loaded: LoadedConfig, options: { follow: boolean; logFile?: string | undefined }): Promise<void> {
  const file = logFileFor(loaded, options.logFile);
  if (!existsSync(file)) {
    process.stderr.write(`gateworker: no log file at ${file} (logs are written there by \`gateworker start -d\`)\n`);
    process.exitCode = 1;
    return;
  }
  let offset = copy(file, 0);
  if (!options.follow) return;
  let inode = statSync(file).ino;
  for (;;) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    let stat;
    try {
      stat = statSync(file);
    } catch {
      continue; // between logrotate's move and the reopen
    }
    if (stat.ino !== inode || stat.size < offset) {
      inode = stat.ino;
      offset = 0;
    }
    if (stat.size > offset) offset = copy(file, offset);
  }
}
