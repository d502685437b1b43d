import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A private network namespace for a test that needs fixed ports (the built-in default's 1236 and
 * 7272): inside it nothing else on the machine holds them. Needs root and `ip` (iproute2); when
 * either is missing, `createNetns` returns null and the test uses free ports instead. The name has
 * a random suffix (other tests run at the same time); `remove()` always deletes it.
 */
export interface Netns {
  readonly name: string;
  /** argv that runs `command` inside the namespace. */
  wrap(command: string[]): string[];
  remove(): void;
}

export function createNetns(prefix: string): Netns | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const remove = () => {
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  };
  try {
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  } catch {
    remove();
    return null;
  }
  return { name, wrap: (command) => ['ip', 'netns', 'exec', name, ...command], remove };
}
