import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { ControlError } from './errors.js';

/**
 * The run directory of `gateworker start`: where its control socket and token live. It must be
 * private to the user, because whoever can write there can put a fake socket in place (and read
 * a token left readable). So:
 *
 * - it lives under `$XDG_RUNTIME_DIR` when set (a per-user 0700 directory by definition), else under
 *   a per-user `<tmp>/gateworker-<uid>/`, never at a name another user could create first and own;
 * - every directory on the way is created 0700 and checked: the run directory must be ours and
 *   not writable by group or others; every directory above it must belong to us or root and, when
 *   others may write to it, carry the sticky bit (like /tmp), so nobody else can swap what is in it;
 * - the token file is created exclusively with mode 0600 and read back only when it is still ours
 *   and private.
 */

const TOKEN_BYTES = 32;
/** Group/other write bits. */
const GROUP_OTHER_WRITE = 0o022;
/** Any group/other permission bit. */
const GROUP_OTHER_ANY = 0o077;
/** The sticky bit: in such a directory only an entry's owner may remove or rename it (like /tmp). */
const STICKY = 0o1000;

/** Run directory for a config file (null = built-in default). `GATEWORKER_RUN_DIR` overrides it. */
export function runDirFor(configFile: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const override = env['GATEWORKER_RUN_DIR'];
  if (override !== undefined && override !== '') return resolve(override);
  const key = createHash('sha256')
    .update(configFile ?? 'built-in default')
    .digest('hex')
    .slice(0, 16);
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, `gateworker-${key}`);
  const tmp = env['TMPDIR'] !== undefined && isAbsolute(env['TMPDIR']) ? env['TMPDIR'] : tmpdir();
  return join(resolve(tmp), `gateworker-${currentUid() ?? 'user'}`, key);
}

export function controlSocketPath(runDir: string): string {
  return join(runDir, 'control.sock');
}

export function tokenPath(runDir: string): string {
  return join(runDir, 'token');
}

function currentUid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

function unsafe(message: string): ControlError {
  return new ControlError('GW_ERR_RUN_DIR_UNSAFE', `refusing the run directory: ${message} (or set GATEWORKER_RUN_DIR to a private directory)`);
}

function owner(st: Stats): string {
  return `uid ${st.uid}`;
}

/** Checks one directory on the way to the run directory (or the run directory itself when `last`). */
function checkComponent(path: string, uid: number | null, last: boolean): void {
  let st = lstatSync(path);
  if (st.isSymbolicLink()) {
    if (last) throw unsafe(`${path} is a symbolic link; it must be a directory`);
    if (uid !== null && st.uid !== uid && st.uid !== 0)
      throw unsafe(`${path} is a symbolic link owned by ${owner(st)}, not by you (uid ${uid}) or root`);
    st = statSync(path);
  }
  if (!st.isDirectory()) throw unsafe(`${path} is not a directory`);
  if (uid === null) return;
  if (last) {
    if (st.uid !== uid) throw unsafe(`${path} is owned by ${owner(st)}, not by you (uid ${uid}); remove it`);
    if ((st.mode & GROUP_OTHER_WRITE) !== 0) {
      throw unsafe(`${path} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)}); it must be 0700`);
    }
    return;
  }
  if (st.uid !== uid && st.uid !== 0) throw unsafe(`${path} (above the run directory) is owned by ${owner(st)}, not by you (uid ${uid}) or root`);
  if ((st.mode & GROUP_OTHER_WRITE) !== 0 && (st.mode & STICKY) === 0) {
    throw unsafe(`${path} (above the run directory) is writable by group or others without the sticky bit (mode ${(st.mode & 0o7777).toString(8)})`);
  }
}

function components(runDir: string): string[] {
  const parts = resolve(runDir)
    .split(sep)
    .filter((p) => p !== '');
  const out: string[] = [];
  let path: string = sep;
  for (const part of parts) {
    path = join(path, part);
    out.push(path);
  }
  return out;
}

/**
 * Creates the run directory (0700, and any missing directory above it) and checks it and every
 * directory above it, from the root down, before anything is created inside one. Throws
 * GW_ERR_RUN_DIR_UNSAFE with the offending path.
 */
export function prepareRunDir(runDir: string): void {
  const uid = currentUid();
  const all = components(runDir);
  all.forEach((path, i) => {
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'EISDIR') {
        throw new ControlError('GW_ERR_RUN_DIR_UNSAFE', `cannot create the run directory ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    checkComponent(path, uid, i === all.length - 1);
  });
}

/**
 * Client side: the run directory must exist and pass the same checks before we talk to a socket in
 * it. Missing → GW_ERR_CONTROL_NOT_RUNNING.
 */
export function checkRunDir(runDir: string): void {
  const uid = currentUid();
  const all = components(runDir);
  all.forEach((path, i) => {
    try {
      checkComponent(path, uid, i === all.length - 1);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning(runDir);
      throw err;
    }
  });
}

export function notRunning(runDir: string): ControlError {
  return new ControlError('GW_ERR_CONTROL_NOT_RUNNING', `no running \`gateworker start\` for this config (looked in ${runDir})`);
}

/** Writes a fresh random token, readable by the owner only (created exclusively, never through a link). */
export function writeToken(runDir: string): Buffer {
  const path = tokenPath(runDir);
  rmSync(path, { force: true });
  const token = randomBytes(TOKEN_BYTES);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, token.toString('hex') + '\n');
  } finally {
    closeSync(fd);
  }
  return token;
}

/** Reads the token; refuses a file that is not ours or that group or others can access. */
export function readToken(runDir: string): Buffer {
  const path = tokenPath(runDir);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning(runDir);
    throw unsafe(`cannot open the token ${path}: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    const uid = currentUid();
    if (!st.isFile()) throw unsafe(`${path} is not a regular file`);
    if (uid !== null && st.uid !== uid) throw unsafe(`the token ${path} is owned by ${owner(st)}, not by you (uid ${uid})`);
    if (uid !== null && (st.mode & GROUP_OTHER_ANY) !== 0)
      throw unsafe(`the token ${path} is accessible to group or others (mode ${(st.mode & 0o777).toString(8)})`);
    const text = readFileSync(fd, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw unsafe(`the token ${path} is malformed`);
    return Buffer.from(text, 'hex');
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes what `start` put in the run directory, then the directory itself when that leaves it
 * empty (never recursively: a GATEWORKER_RUN_DIR may hold other files).
 */
export function removeRunDir(runDir: string): void {
  rmSync(controlSocketPath(runDir), { force: true });
  rmSync(tokenPath(runDir), { force: true });
  try {
    rmdirSync(runDir);
  } catch {
    /* not empty (someone else's files) or already gone */
  }
}
