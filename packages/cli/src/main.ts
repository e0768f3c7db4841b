#!/usr/bin/env node
import { runProgram, WHARF_VERSION } from '@wharf/core';
import { Command } from 'commander';
import { readCliConfig } from './cli-config.js';
import { EXIT } from './cli-error.js';
import { bridgesCommand } from './commands/bridges.js';
import { certsCommand } from './commands/certs.js';
import { drainCommand } from './commands/drain.js';
import { inspectCommand } from './commands/inspect.js';
import { lsCommand } from './commands/ls.js';
import { routesCommand } from './commands/routes.js';
import { undrainCommand } from './commands/undrain.js';
import { parseWaitOptions, waitCommand } from './commands/wait.js';
import { watchCommand } from './commands/watch.js';
import { CommandNotFoundError, EXIT_COMMAND_NOT_FOUND, execCommand } from './exec-command.js';
import { type GlobalFlags, type Command as Run, reportFailure, runCommand } from './run-command.js';

// gRPC sets the TLS server name even for IP endpoints, and Node warns about it on every TLS
// connection (DEP0123). That warning is noise for an operator typing `--etcd https://10.0.0.9:2379`;
// every other warning is printed as usual.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code === 'DEP0123') return;
  process.stderr.write(`wharf: warning: ${warning.name}: ${warning.message}\n`);
});

// A closed pipe (`wharf watch | head`) ends the command instead of crashing it.
const closedPipe = new AbortController();
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') closedPipe.abort();
});

/** What the command line asked for; commander's actions only record it, the program shell runs it. */
let invocation: { run: Run; flags: GlobalFlags } | undefined;
function action(run: Run) {
  return (command: Command) => {
    invocation = { run, flags: command.optsWithGlobals<GlobalFlags>() };
  };
}

// `wharf wait db -- app --flag`: what follows `--` is the command to run, never more services
// (commander would append it to the variadic argument).
const separator = process.argv.indexOf('--');
const waitsWithCommand = separator > 0 && process.argv.slice(2, separator).includes('wait');
const commandAfterWait = waitsWithCommand ? process.argv.slice(separator + 1) : [];
const argv = waitsWithCommand ? process.argv.slice(0, separator) : process.argv;
/** What `wharf wait … -- command` runs once the wait succeeded and etcd is closed again. */
let afterWait: (() => Promise<number>) | undefined;

const program = new Command('wharf')
  .description('Shows what wharf has registered in etcd, live.')
  .version(WHARF_VERSION)
  .option('--etcd <urls>', 'etcd endpoints, comma-separated (WHARF_ETCD)')
  .option('--prefix <prefix>', 'key prefix (WHARF_PREFIX, default /wharf)')
  .option('--username <name>', 'etcd user (WHARF_ETCD_USERNAME)')
  .option('--password <password>', 'etcd password (WHARF_ETCD_PASSWORD)')
  .option('--ca <file>', 'CA certificate, PEM (WHARF_ETCD_CA)')
  .option('--cert <file>', 'client certificate, PEM (WHARF_ETCD_CERT)')
  .option('--key <file>', 'client key, PEM (WHARF_ETCD_KEY)')
  .option('--json', 'JSON output for scripts (ndjson for watch)')
  .option('--no-color', 'no colours (also NO_COLOR, and whenever output is not a terminal)')
  .showSuggestionAfterError();

program
  .command('ls')
  .description('list services and their endpoints')
  .argument('[service]', 'only this service')
  .action((service: string | undefined, _options, command: Command) =>
    action((context) => lsCommand(context, service))(command),
  );

program
  .command('routes')
  .description('Host/path prefix → endpoints, as the edge routes them')
  .action((_options, command: Command) => action((context) => routesCommand(context))(command));

program
  .command('bridges')
  .description('list live bridges')
  .action((_options, command: Command) => action((context) => bridgesCommand(context))(command));

program
  .command('certs')
  .description('certificates the edges serve from etcd: domains, source, expiry, issuance status')
  .action((_options, command: Command) => action((context) => certsCommand(context))(command));

program
  .command('watch')
  .description('stream endpoint changes (add, drain, update, remove) until Ctrl-C')
  .argument('[service]', 'only this service')
  .option('--changes-only', 'do not print the current endpoints as adds first')
  .action((service: string | undefined, options: { changesOnly?: boolean }, command: Command) =>
    action((context, signal) =>
      watchCommand(context, service, { changesOnly: options.changesOnly === true }, signal),
    )(command),
  );

program
  .command('inspect')
  .description('show the full record of an endpoint (or bridge), its key and lease')
  .argument('<id>', 'instance id, e.g. host1:web-1:8080, or a bridge id')
  .action((id: string, _options, command: Command) =>
    action((context) => inspectCommand(context, id))(command),
  );

program
  .command('drain')
  .description('drain an endpoint: the edge sends it no new requests until undrain')
  .argument('<instance-id>', 'instance id, e.g. host1:web-1:8080')
  .option('--reason <text>', 'why, shown in ls and inspect')
  .action((instanceId: string, options: { reason?: string }, command: Command) =>
    action((context) => drainCommand(context, instanceId, options.reason))(command),
  );

program
  .command('undrain')
  .description('remove an operator drain')
  .argument('<instance-id>', 'instance id')
  .action((instanceId: string, _options, command: Command) =>
    action((context) => undrainCommand(context, instanceId))(command),
  );

program
  .command('wait')
  .description('wait until each service has serving endpoints; then exit 0, or run the command after --')
  .argument('<service...>', 'services to wait for')
  .option('--min <n>', 'serving endpoints each service needs', '1')
  .option('--timeout <duration>', 'give up after this long, naming what is missing (0: no limit)', '60s')
  .action((services: string[], options: { min: string; timeout: string }, command: Command) =>
    action(async (context, signal) => {
      const environment = await waitCommand(context, services, parseWaitOptions(options), signal);
      if (commandAfterWait.length > 0) afterWait = () => runAfterWait(environment);
    })(command),
  );

async function runAfterWait(environment: Record<string, string>): Promise<number> {
  try {
    return await execCommand(commandAfterWait, { ...process.env, ...environment });
  } catch (error) {
    process.stderr.write(`wharf: ${(error as Error).message}\n`);
    return error instanceof CommandNotFoundError ? EXIT_COMMAND_NOT_FOUND : 1;
  }
}

// Usage errors, --help and --version end here, with commander's own output and status.
program.parse(argv);

if (invocation) {
  const { run, flags } = invocation;
  const environment = { env: process.env, stdout: process.stdout, stderr: process.stderr };
  await runProgram({
    name: 'wharf',
    // Flags are laid over the environment and validated as the other programs' settings are.
    config: () => readCliConfig(flags, process.env),
    main: (config, signal) =>
      runCommand(config, flags, environment, run, AbortSignal.any([signal, closedPipe.signal])),
    onFailure: (error, codes) => reportFailure(error, environment, codes),
    // Bad flags and variables are usage errors, 1 as commander's own; 2 means etcd is unreachable.
    exitCodes: { config: EXIT.usage, failure: EXIT.failure },
  });
  // The command after `wharf wait … --` runs once the program shell is done with etcd and signals.
  if (process.exitCode === 0 && afterWait) process.exitCode = await afterWait();
}
