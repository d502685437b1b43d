import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Hosts built from Linux network namespaces: one namespace per host, one bridge (in a namespace of
 * its own, so the root namespace and its firewall are never touched), a veth pair per host, private
 * IPv4 and/or IPv6 addresses, and nft tables for partitions. Every global name (namespace, nft table,
 * bridge-side veth) carries a random suffix: other engineers build their own nets on this machine at
 * the same time. `destroy()` removes everything and is also run from process exit / signal handlers,
 * so a failing or interrupted test leaves nothing behind.
 */

export interface NetHost {
  /** Short name inside the test: r1, g1, w2, c… */
  readonly name: string;
  /** The namespace (`ip netns exec <ns> …`). */
  readonly ns: string;
  /** IPv4 address, or null on an IPv6-only net. */
  readonly ipv4: string | null;
  /** IPv6 address (no brackets), or null on an IPv4-only net. */
  readonly ipv6: string | null;
  /** The address peers use: IPv4 when present, else IPv6. */
  readonly address: string;
  /** `host` usable in `host:port` (IPv6 in brackets). */
  readonly hostPart: string;
}

export type Family = 'ipv4' | 'ipv6';

/** One partition rule set: an nft table in one host's namespace. */
interface Cut {
  readonly ns: string;
  readonly table: string;
}

const live = new Set<Net>();
let handlersInstalled = false;

/** Exit / signal handlers that destroy every net still alive in this process (synchronously). */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => {
    for (const net of live) net.destroySync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const net of live) net.destroySync();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

function run(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Why this machine cannot build nets (not Linux, not root, no `ip netns`, no nft, or namespaces
 * not permitted, as in an unprivileged container), or null when it can. Probes by creating and
 * deleting a namespace of its own.
 */
export function netUnavailableReason(): string | null {
  if (process.platform !== 'linux') return 'multi-host tests need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'multi-host tests need root (ip netns, nft); run them as root (CI does)';
  for (const [cmd, args, pkg] of [
    ['ip', ['netns', 'list'], 'iproute2'],
    ['nft', ['--version'], 'nftables'],
  ] as const) {
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.error !== undefined || r.status !== 0) return `multi-host tests need \`${cmd}\` (apt-get install ${pkg})`;
  }
  const probe = `gwmh-${randomBytes(3).toString('hex')}-probe`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.status !== 0) return `\`ip netns add\` is not permitted here: ${added.stderr.trim()}`;
  const nft = spawnSync('ip', ['netns', 'exec', probe, 'nft', 'list', 'tables'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  if (nft.status !== 0) return `nft does not work in a namespace here: ${nft.stderr.trim()}`;
  return null;
}

/** Namespaces whose name contains `suffix` (to prove cleanup). */
export function namespacesWith(suffix: string): string[] {
  return run(['ip', 'netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.includes(suffix));
}

export class Net {
  /** Random suffix carried by every global name of this net. */
  readonly suffix = randomBytes(3).toString('hex');
  readonly hosts = new Map<string, NetHost>();
  private readonly bridgeNs = `gwmh-${this.suffix}-br`;
  private readonly namespaces: string[] = [];
  private readonly cuts = new Map<number, Cut>();
  private nextCut = 1;
  private destroyed = false;

  /**
   * Builds the hosts: every name gets a namespace, a veth to the bridge, and addresses of the
   * families asked for (a random /24 in 10/8 and a random /64 in fd00::/8).
   */
  static create(names: readonly string[], families: readonly Family[] = ['ipv4']): Net {
    const net = new Net();
    installExitHandlers();
    live.add(net);
    try {
      net.build(names, families);
    } catch (err) {
      net.destroySync();
      throw err;
    }
    return net;
  }

  host(name: string): NetHost {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name} in this net`);
    return h;
  }

  private addNs(ns: string): void {
    run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private build(names: readonly string[], families: readonly Family[]): void {
    const a = 1 + Math.floor(Math.random() * 250);
    const b = 1 + Math.floor(Math.random() * 250);
    const v6prefix = `fd${randomBytes(1).toString('hex')}:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::`;
    const v4 = families.includes('ipv4');
    const v6 = families.includes('ipv6');
    this.addNs(this.bridgeNs);
    run(['ip', '-n', this.bridgeNs, 'link', 'add', `br-${this.suffix}`, 'type', 'bridge']);
    run(['ip', '-n', this.bridgeNs, 'link', 'set', `br-${this.suffix}`, 'up']);
    names.forEach((name, i) => {
      const ns = `gwmh-${this.suffix}-${name}`;
      this.addNs(ns);
      const peer = `v${this.suffix}${i}`; // ≤ 15 characters (IFNAMSIZ)
      run(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', peer, 'netns', this.bridgeNs]);
      run(['ip', '-n', this.bridgeNs, 'link', 'set', peer, 'master', `br-${this.suffix}`]);
      run(['ip', '-n', this.bridgeNs, 'link', 'set', peer, 'up']);
      const ipv4 = v4 ? `10.${a}.${b}.${i + 10}` : null;
      const ipv6 = v6 ? `${v6prefix}${(i + 10).toString(16)}` : null;
      if (ipv4 !== null) run(['ip', '-n', ns, 'addr', 'add', `${ipv4}/24`, 'dev', 'eth0']);
      if (ipv6 !== null) {
        // nodad: the address is usable at once instead of after duplicate address detection.
        run(['ip', '-n', ns, 'addr', 'add', `${ipv6}/64`, 'dev', 'eth0', 'nodad']);
      }
      run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      const address = ipv4 ?? ipv6!;
      this.hosts.set(name, { name, ns, ipv4, ipv6, address, hostPart: ipv4 ?? `[${ipv6}]` });
    });
  }

  /**
   * Drops packets between `from` and each host of `to` — both directions, or only from → to when
   * `oneWay`. The rules live in an nft table in `from`'s namespace (silent drops, as a dead switch
   * port or a firewall would do: no reset, no ICMP). Returns an id for `heal()`.
   */
  cut(from: string, to: readonly string[], options: { oneWay?: boolean } = {}): number {
    const src = this.host(from);
    const id = this.nextCut++;
    const table = `gwmh_${this.suffix}_${id}`;
    const rules: string[] = [];
    for (const name of to) {
      const dst = this.host(name);
      for (const [fam, mine, theirs] of [
        ['ip', src.ipv4, dst.ipv4],
        ['ip6', src.ipv6, dst.ipv6],
      ] as const) {
        if (mine === null || theirs === null) continue;
        rules.push(`add rule inet ${table} out ${fam} daddr ${theirs} drop`);
        if (options.oneWay !== true) rules.push(`add rule inet ${table} in ${fam} saddr ${theirs} drop`);
      }
    }
    const script = [
      `add table inet ${table}`,
      `add chain inet ${table} out { type filter hook output priority 0 ; policy accept ; }`,
      `add chain inet ${table} in { type filter hook input priority 0 ; policy accept ; }`,
      ...rules,
    ].join('\n');
    execFileSync('ip', ['netns', 'exec', src.ns, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
    this.cuts.set(id, { ns: src.ns, table });
    return id;
  }

  /** Removes one cut (or every cut when no id is given). */
  heal(id?: number): void {
    for (const [cutId, cut] of [...this.cuts]) {
      if (id !== undefined && cutId !== id) continue;
      run(['ip', 'netns', 'exec', cut.ns, 'nft', 'delete', 'table', 'inet', cut.table]);
      this.cuts.delete(cutId);
    }
  }

  /** The nft tables of this net currently present (to check that a heal really healed). */
  tables(): string[] {
    const out: string[] = [];
    for (const ns of this.namespaces) {
      const text = run(['ip', 'netns', 'exec', ns, 'nft', 'list', 'tables']);
      for (const line of text.split('\n')) if (line.includes(this.suffix)) out.push(`${ns}: ${line.trim()}`);
    }
    return out;
  }

  /**
   * Deletes every namespace of this net (which removes their veths, addresses and nft tables).
   * A namespace outlives its name while a process still runs in it, so whatever still runs in one
   * of ours (`ip netns pids`: only processes inside our own namespaces) is killed first — a test
   * stops its processes gracefully before; this is the backstop. Idempotent; never throws.
   */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const ns of this.namespaces) {
      const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
      for (const pid of (r.stdout ?? '')
        .split('\n')
        .map(Number)
        .filter((n) => n > 0)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of [...this.namespaces].reverse()) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}
