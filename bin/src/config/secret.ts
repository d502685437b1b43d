import { readFileSync } from 'node:fs';
import { isLoopbackHost, parseAddress, secretPolicyProblem } from '@gateworker/protocol';
import type { Config } from './schema.js';
import { ConfigError } from './errors.js';

/**
 * The shared secret of the internal links: from `secret` or from the file `secretFile` names (so
 * it appears neither in the config file nor on a command line), and strong enough wherever an
 * internal address leaves the machine.
 */

/** Reads a secret file, without its trailing newline(s). */
export function readSecretFile(path: string, where: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'secretFile',
      `${where}: secretFile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
  return text.replace(/(\r?\n)+$/, '');
}

/** The first internal address (its dotted key and value) that is not loopback, or null. */
export function firstOffLoopback(c: Config): [key: string, address: string] | null {
  const hosts: [string, string][] = [];
  if (c.register !== undefined) hosts.push(['register.listen', c.register.listen]);
  if (c.gateway !== undefined) {
    hosts.push(['gateway.internal', c.gateway.internal]);
    c.gateway.registers?.forEach((r, i) => hosts.push([`gateway.registers[${i}]`, r]));
    if (c.gateway.advertise !== undefined) hosts.push(['gateway.advertise', c.gateway.advertise]);
  }
  c.worker?.registers?.forEach((r, i) => hosts.push([`worker.registers[${i}]`, r]));
  for (const [key, address] of hosts) {
    // The one address parser (the schema already accepted the address; advertise may omit the port).
    if (!isLoopbackHost(parseAddress(address, { defaultPort: 0 }).host)) return [key, address];
  }
  return null;
}

/**
 * An empty or short secret is allowed only where nothing leaves the machine: the packages' own
 * policy (secretPolicyProblem), checked here up front so the CLI exits 2 naming the key. `key` is
 * where the secret came from (`secret` or `secretFile`), `where` its position for the message.
 */
export function checkSecretStrength(config: Config, key: 'secret' | 'secretFile', where: string): void {
  const off = firstOffLoopback(config);
  if (off === null) return;
  const what = secretPolicyProblem(config.secret, parseAddress(off[1], { defaultPort: 0 }).host);
  if (what === null) return;
  throw new ConfigError(key, `${where}: ${key}: ${what} because ${off[0]} (${off[1]}) is not a loopback address`);
}
