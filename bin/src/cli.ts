import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from './config/errors.js';
import { loadConfig, type LoadedConfig, type LoadOptions } from './config/load.js';
import { kindOf, overridableKeyList, parseOverrideValue, type Override } from './config/overrides.js';

// Commands load their modules when run: `status` and `stop` start fast, without the roles' code.
const runStart: typeof import('./commands/start.js').runStart = async (...a) => (await import('./commands/start.js')).runStart(...a);
const runRole: typeof import('./commands/role.js').runRole = async (...a) => (await import('./commands/role.js')).runRole(...a);
const runReload: typeof import('./commands/control.js').runReload = async (...a) => (await import('./commands/control.js')).runReload(...a);
const runStop: typeof import('./commands/control.js').runStop = async (...a) => (await import('./commands/control.js')).runStop(...a);
const runDaemon: typeof import('./commands/daemon.js').runDaemon = async (...a) => (await import('./commands/daemon.js')).runDaemon(...a);
const runLogs: typeof import('./commands/logs.js').runLogs = async (...a) => (await import('./commands/logs.js')).runLogs(...a);
const runStatus: typeof import('./commands/status.js').runStatus = async (...a) => (await import('./commands/status.js')).runStatus(...a);
const runConfigGet: typeof import('./commands/config.js').runConfigGet = async (...a) => (await import('./commands/config.js')).runConfigGet(...a);
const runConfigDiff: typeof import('./commands/config.js').runConfigDiff = async (...a) => (await import('./commands/config.js')).runConfigDiff(...a);
const runConfigPush: typeof import('./commands/config.js').runConfigPush = async (...a) => (await import('./commands/config.js')).runConfigPush(...a);

/**
 * The `gateworker` command. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.
 */

export const DEFAULT_CONFIG_FILE = 'gateworker.yaml';

interface CommonOptions {
  config?: string;
  set?: string[];
  secret?: string;
  logLevel?: string;
  nodeId?: string;
  [flag: string]: unknown;
}

/** Flag name (commander's camelCase) → config key, per command. */
const ROLE_FLAGS: Record<string, Record<string, string>> = {
  common: {
    secret: 'secret',
    secretFile: 'secretFile',
    logLevel: 'logLevel',
    nodeId: 'nodeId',
    cluster: 'cluster',
    etcd: 'discovery.etcd.endpoints',
    zookeeper: 'discovery.zookeeper.servers',
  },
  register: { listen: 'register.listen' },
  gateway: { listen: 'gateway.listen', internal: 'gateway.internal', advertise: 'gateway.advertise', registers: 'gateway.registers' },
  worker: { handler: 'worker.handler', registers: 'worker.registers' },
};

/** A secret on the command line is in every `ps` listing and /proc/<pid>/cmdline of the machine. */
function warnIfSecretOnCommandLine(options: CommonOptions): void {
  const viaSet = (options.set ?? []).some((pair) => pair.startsWith('secret='));
  if (typeof options.secret !== 'string' && !viaSet) return;
  process.stderr.write(
    `gateworker: warning: ${viaSet ? '--set secret=…' : '--secret'} is visible to other users of this machine (ps, /proc/<pid>/cmdline); ` +
      'prefer --secret-file <path> (secretFile) or the GATEWORKER_SECRET environment variable\n',
  );
}

function flagOverrides(options: CommonOptions, command: string): Override[] {
  warnIfSecretOnCommandLine(options);
  const out: Override[] = [];
  const table = { ...ROLE_FLAGS['common'], ...ROLE_FLAGS[command] };
  for (const [flag, key] of Object.entries(table)) {
    const value = options[flag];
    if (typeof value === 'string') {
      const dashed = flag.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
      out.push({ key, value: parseOverrideValue(key, value, `flag --${dashed}`), source: `flag --${dashed}` });
    }
  }
  for (const pair of options.set ?? []) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || kindOf(key) === undefined) {
      throw new ConfigError(key, `flag --set ${pair}: expected key=value with key one of ${overridableKeyList()}`);
    }
    out.push({ key, value: parseOverrideValue(key, pair.slice(eq + 1), `flag --set ${key}`), source: `flag --set ${key}` });
  }
  return out;
}

/**
 * The config a command runs with: `-c file`, else ./gateworker.yaml if present, else (for
 * `start`) the built-in default or (for a single role) just that role's section from the flags.
 */
export function sourcesFor(command: string, options: CommonOptions): LoadOptions {
  const flags = flagOverrides(options, command);
  let file: string | null = options.config ?? null;
  if (file === null && existsSync(resolve(DEFAULT_CONFIG_FILE))) file = DEFAULT_CONFIG_FILE;
  const base = command in ROLE_FLAGS && command !== 'common' ? { [command]: {} } : undefined;
  // `reload` leaves the handler check to the running supervisor, which re-reads the config itself.
  const checkHandler = command === 'start' || command === 'worker';
  return { file, flags, checkHandler, ...(base !== undefined && { base }) };
}

export function configFor(command: string, options: CommonOptions): LoadedConfig {
  return loadConfig(sourcesFor(command, options));
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', `config file (default: ./${DEFAULT_CONFIG_FILE} if present)`)
    .option('--secret <secret>', 'shared secret for internal links (visible to other users in ps: prefer --secret-file)')
    .option('--secret-file <path>', 'file holding the shared secret (trailing newline ignored)')
    .option('--node-id <id>', 'node name in logs and status (default: host name)')
    .option('--cluster <name>', 'cluster name; peers of another cluster are refused; part of discovery keys')
    .option('--etcd <endpoints>', 'discover gateways on etcd instead of a register (comma-separated URLs)')
    .option('--zookeeper <servers>', 'discover gateways on ZooKeeper instead of a register (host:port,...)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
    .option('--set <key=value...>', 'set any config key, e.g. --set gateway.routing=least-busy');
}

export function buildProgram(): Command {
  const program = new Command('gateworker')
    .description('Cluster runtime for long-lived connections: register, gateways, business workers.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  withCommon(program.command('start').description('run every role the config names, supervised (in the foreground, or detached with -d)'))
    .option('-d, --daemon', 'detach: run in the background, output appended to the log file')
    .option('--log-file <path>', 'log file (default with -d: gateworker.log in the run directory); reopened on SIGUSR2')
    .action(async (o: CommonOptions & { daemon?: boolean; logFile?: string }) => {
      if (o.daemon === true) return runDaemon(configFor('start', o), process.argv, o.logFile);
      const sources = sourcesFor('start', o);
      return runStart(loadConfig(sources), sources, { logFile: o.logFile });
    });
  withCommon(program.command('register').description('run one register'))
    .option('--listen <host:port>', 'address to listen on')
    .action(async (o: CommonOptions) => {
      const sources = sourcesFor('register', o);
      await runRole('register', loadConfig(sources), 0, sources);
    });
  withCommon(program.command('gateway').description('run one gateway process'))
    .option('--listen <urls>', 'client listeners, comma-separated (ws://, wss://, tcp://)')
    .option('--internal <host:port>', 'worker-link listener (process k uses port + k)')
    .option('--advertise <address>', 'address workers should dial: host, [ipv6], bare ipv6, or with :port')
    .option('--registers <list>', 'register addresses, comma-separated')
    .option('--process-index <k>', 'process index on this machine', '0')
    .action(async (o: CommonOptions & { processIndex: string }) => {
      const sources = sourcesFor('gateway', o);
      await runRole('gateway', loadConfig(sources), Number(o.processIndex), sources);
    });
  withCommon(program.command('worker').description('run one business worker process'))
    .option('--handler <file>', 'handler module')
    .option('--registers <list>', 'register addresses, comma-separated')
    .action(async (o: CommonOptions) => {
      const sources = sourcesFor('worker', o);
      await runRole('worker', loadConfig(sources), 0, sources);
    });
  withCommon(program.command('reload').description('rolling redeploy of the workers started by `start`')).action(async (o: CommonOptions) =>
    runReload(configFor('reload', o)),
  );
  withCommon(program.command('logs').description('print the log file of `start -d`'))
    .option('-f, --follow', 'keep printing new lines (follows a rotated file)')
    .option('--log-file <path>', 'the log file, when `start` was given one')
    .action(async (o: CommonOptions & { follow?: boolean; logFile?: string }) =>
      runLogs(configFor('logs', o), { follow: o.follow === true, logFile: o.logFile }),
    );
  withCommon(program.command('stop').description('graceful stop of what `start` started')).action(async (o: CommonOptions) =>
    runStop(configFor('stop', o)),
  );
  withCommon(
    program
      .command('status')
      .description('processes, gateways and their counters, from `start` (else from the register, or etcd / ZooKeeper with discovery)'),
  )
    .option('--json', 'print JSON (everything shown, and more)')
    .option('--watch', 'refresh every second, in place')
    .action(async (o: CommonOptions & { json?: boolean; watch?: boolean }) =>
      runStatus(configFor('status', o), { json: o.json === true, watch: o.watch === true }),
    );
  const centre = program.command('config').description("the config centre's document (the centre the config's `config` section names)");
  withCommon(centre.command('get').description("print the centre's document")).action(async (o: CommonOptions) =>
    runConfigGet(configFor('config', o)),
  );
  withCommon(centre.command('diff <document>').description('key by key, what pushing <document> would change')).action(
    async (document: string, o: CommonOptions) => runConfigDiff(configFor('config', o), document),
  );
  withCommon(centre.command('push <document>').description('validate <document> and write it to the centre')).action(
    async (document: string, o: CommonOptions) => {
      const sources = sourcesFor('config', o);
      await runConfigPush(loadConfig(sources), sources, document);
    },
  );
  withCommon(program.command('top').description('the live view in the terminal: `status --watch`')).action(async (o: CommonOptions) =>
    runStatus(configFor('top', o), { json: false, watch: true }),
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`gateworker: bad config: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`gateworker: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
