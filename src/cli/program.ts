/**
 * @module cli/program
 *
 * The `sagaflow` command line on commander: sub-commands, their options, and exit codes (0 done, 1
 * failed, 2 usage). Each sub-command is a function in its own module that the tests also call directly;
 * this file parses arguments and opens the connection.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import { DIAGRAM_FORMATS, type DiagramFormat } from '../ops/diagram.ts';
import { parseDuration } from '../ops/duration.ts';
import { CommandStatus, DeadLetterReason, SagaStatus } from '../repository/types.ts';
import { commandShowCommand, commandsListCommand } from './commands-command.ts';
import { defined } from '../ops/defined.ts';
import { withOperations, withSagas, type ConnectionOptions } from './connect.ts';
import { checkCommand } from './check-command.ts';
import { instancesMigrateCommand } from './instances-command.ts';
import {
  deadLetterDiscardCommand,
  deadLetterReplayCommand,
  deadLettersListCommand,
  deadLetterShowCommand,
} from './dead-letters-command.ts';
import { diagramCommand } from './diagram-command.ts';
import { exportCommand } from './export-command.ts';
import { replayCommand } from './replay-command.ts';
import { loadSagas } from './load-sagas.ts';
import { openRepository } from './connect.ts';
import type { CliIo } from './io.ts';
import { sagaflowVersion } from '../http/version.ts';
import { listCommand } from './list-command.ts';
import { migrateCommand } from './migrate-command.ts';
import { checkServeOptions, serveCommand } from './serve-command.ts';
import { showCommand } from './show-command.ts';
import { statsCommand } from './stats-command.ts';
import { cliPrincipal, registerRepairCommands } from './repair-commands.ts';
import { registerFindCommands } from './find-commands.ts';

const STATUSES: readonly string[] = Object.values(SagaStatus);

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
}

/** Gathers a repeatable option's values. */
function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration with a unit, such as 30s, 5m, 1h or 2d (250ms for milliseconds)');
  return ms;
}

function statusList(value: string): SagaStatus[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const wrong = list.filter((s) => !STATUSES.includes(s));
  if (wrong.length) throw new InvalidArgumentError(`unknown status ${wrong.join(', ')}; one of ${STATUSES.join(', ')}`);
  return list as SagaStatus[];
}

/** Every option a connection needs, from the sub-command and from the top level. */
const MAX_PAGE = 1000;

/** The paging options every list command takes: `--limit` (capped at `MAX_PAGE`), `--cursor`, `--json`. */
function paged(command: Command): Command {
  return command
    .option('--limit <n>', `page size (at most ${MAX_PAGE})`, positiveInt, 50)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .option('--json', 'print JSON ({ items, nextCursor })');
}

/** What `paged` parsed, as the list commands take it. */
function page(o: { limit: number; cursor?: string; json?: boolean }) {
  return { limit: Math.min(o.limit, MAX_PAGE), cursor: o.cursor, json: o.json === true };
}

function connection(command: Command): ConnectionOptions {
  const o = command.optsWithGlobals<{ databaseUrl?: string; pglite?: string; schema?: string; sagas?: string }>();
  return { databaseUrl: o.databaseUrl, pglite: o.pglite, schema: o.schema, sagas: o.sagas };
}

/**
 * @example
 * const code = await runCli(['list', '--saga', 'order', '--json'], processIo);
 */
export function buildProgram(io: CliIo, options: { readonly signal?: AbortSignal } = {}): { program: Command; result: () => number } {
  let exitCode = 0;
  const run = (promise: Promise<number>) => promise.then((code) => void (exitCode = code));
  const program = new Command('sagaflow')
    .description('Operate Sagaflow sagas: list, inspect, diagram, dead letters, migrations, the dashboard.')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else the embedded database in .sagaflow/db)')
    .option('--pglite <directory>', 'embedded PGlite data folder when there is no URL', undefined)
    .option('--schema <name>', 'PostgreSQL schema holding Sagaflow\'s tables')
    .option('--sagas <module>', 'a module exporting your saga definitions (needed for diagram, check, instances migrate, replay and the repairs send, transition, cancel, retry-compensation; makes dead-letters replay run in process; a .ts module needs `node --import tsx`)')
    .version(sagaflowVersion(), '-V, --version', 'print the version of sagaflow')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('migrate')
    .description('apply pending migrations to the database')
    .option('--url <url>', 'PostgreSQL URL (default: --database-url, then DATABASE_URL)')
    .option('--print-sql', 'print the SQL of every migration, oldest first, and apply nothing')
    .action((opts: { url?: string; printSql?: boolean }, command: Command) => {
      const c = connection(command);
      return run(migrateCommand({ url: opts.url ?? c.databaseUrl, schema: c.schema, pglite: c.pglite, printSql: opts.printSql === true }, io));
    });

  paged(
    program
      .command('list')
      .description('list instances, most recently updated first')
      .option('--saga <name>', 'only this saga')
      .option('--state <state>', 'only instances in this state')
      .option('--status <list>', `comma-separated statuses (${STATUSES.join(', ')})`, statusList)
      .option('--stale <duration>', 'only instances not updated for this long (30s, 5m, 1h, 2d)', duration)
      .option('--correlation-id <id>', 'only instances with this correlation id')
      .option('--def-version <n>', 'only instances last written by this saga definition version', positiveInt)
      .addOption(new Option('--order <order>', 'by update time').choices(['asc', 'desc'])),
  ).action((o, command: Command) =>
    run(
      withOperations(connection(command), io, (ops) =>
        listCommand(
          ops,
          defined({
            saga: o.saga,
            state: o.state,
            status: o.status,
            staleForMs: o.stale,
            correlationId: o.correlationId,
            definitionVersion: o.defVersion,
            order: o.order,
            ...page(o),
          }),
          io,
        ),
      ),
    ),
  );

  program
    .command('check')
    .description('the deploy gate: report live instances the definitions in --sagas could not handle (exit code 1 if any)')
    .option('--saga <name>', 'only this saga')
    .option('--json', 'print JSON ({ ok, sagas })')
    .action((o, command: Command) =>
      run(withSagas(connection(command), io, 'check', (sagas, repository) => checkCommand(sagas, repository, defined({ saga: o.saga, json: o.json === true }), io))),
    );

  program
    .command('instances')
    .description('act on many instances at once')
    .command('migrate')
    .description('migrate every live instance an older definition version wrote to the version in --sagas (safe while workers run; re-runnable)')
    .option('--saga <name>', 'only this saga')
    .option('--dry-run', 'report what would change, write nothing')
    .option('--batch <n>', 'instances per batch', positiveInt, 100)
    .option('--json', 'print JSON ({ dryRun, sagas })')
    .action((o, command: Command) =>
      run(
        withSagas(connection(command), io, 'instances migrate', (sagas, repository) =>
          instancesMigrateCommand(sagas, repository, defined({ saga: o.saga, dryRun: o.dryRun === true, batch: o.batch, json: o.json === true }), io),
        ),
      ),
    );

  program
    .command('show <key>')
    .description('one instance, by id or correlation id: data, version, compensation stack, schedules, history')
    .option('--saga <name>', 'look the key up as a correlation id of this saga')
    .option('--json', 'print JSON ({ instance, history })')
    .action((key: string, o, command: Command) =>
      run(withOperations(connection(command), io, (ops) => showCommand(ops, key, { ...(o.saga !== undefined && { saga: o.saga }), json: o.json === true }, io))),
    );

  program
    .command('stats')
    .description('instances per saga, state and status')
    .option('--saga <name>', 'only this saga')
    .option('--json', 'print JSON ({ counts })')
    .action((o, command: Command) =>
      run(withOperations(connection(command), io, (ops) => statsCommand(ops, { ...(o.saga !== undefined && { saga: o.saga }), json: o.json === true }, io))),
    );

  program
    .command('diagram <saga>')
    .description('the state diagram of a saga (needs --sagas)')
    .addOption(new Option('--format <format>', 'output format').choices(DIAGRAM_FORMATS).default('mermaid'))
    .option('--highlight <state>', 'mark a state')
    .action((saga: string, o: { format: DiagramFormat; highlight?: string }, command: Command) =>
      run(withOperations(connection(command), io, (ops) => diagramCommand(ops, saga, o, io))),
    );

  const deadLetters = program.command('dead-letters').description('messages that were given up on: list, show, replay, discard');
  paged(
    deadLetters
      .command('list')
      .description('list dead letters, oldest first')
      .addOption(new Option('--reason <reason>', 'only this reason').choices(Object.values(DeadLetterReason)))
      .option('--saga <name>', 'only letters a saga refused')
      .option('--type <type>', 'only this message type'),
  ).action((o, command: Command) =>
    run(
      withOperations(connection(command), io, (ops) =>
        deadLettersListCommand(
          ops,
          defined({ reason: o.reason, saga: o.saga, type: o.type, ...page(o) }),
          io,
        ),
      ),
    ),
  );
  deadLetters
    .command('show <id>')
    .description('one dead letter with its envelope')
    .option('--json', 'print JSON')
    .action((id: string, o, cmd: Command) => run(withOperations(connection(cmd), io, (ops) => deadLetterShowCommand(ops, id, { json: o.json === true }, io))));
  for (const [name, description, command] of [
    ['replay', 'dispatch it again (in process with --sagas, else queued in the outbox for the relays)', deadLetterReplayCommand],
    ['discard', 'remove it for good', deadLetterDiscardCommand],
  ] as const) {
    deadLetters
      .command(`${name} <id>`)
      .description(`${description}; recorded in the audit trail`)
      .requiredOption('--reason <text>', 'why (kept in the audit record)')
      .option('--as <name>', 'the principal to record (default cli:<os user>)')
      .option('--json', 'print JSON')
      .action((id: string, o, cmd: Command) =>
        run(withOperations(connection(cmd), io, (ops) => command(ops, id, { json: o.json === true, actor: { principal: cliPrincipal(io, o.as), reason: o.reason } }, io))),
      );
  }

  const commands = program.command('commands').description('commands that handlers took, with their outcomes: list, show');
  paged(
    commands
      .command('list')
      .description('list handled commands, newest first')
      .addOption(new Option('--status <status>', 'only this status').choices(Object.values(CommandStatus)))
      .option('--type <type>', 'only this command type')
      .option('--correlation-id <id>', 'only commands of this correlation id'),
  ).action((o, command: Command) =>
    run(
      withOperations(connection(command), io, (ops) =>
        commandsListCommand(
          ops,
          defined({
            status: o.status,
            type: o.type,
            correlationId: o.correlationId,
            ...page(o),
          }),
          io,
        ),
      ),
    ),
  );
  commands
    .command('show <id>')
    .description('one command with its outcome, output and envelope')
    .option('--json', 'print JSON')
    .action((id: string, o, cmd: Command) => run(withOperations(connection(cmd), io, (ops) => commandShowCommand(ops, id, { json: o.json === true }, io))));

  registerRepairCommands(program, { io, run, connection }); // send, transition, cancel, retry-compensation, bulk, audit

  program
    .command('export')
    .description('instances of a saga with their histories, as JSON lines (for `sagaflow replay`)')
    .requiredOption('--saga <name>', 'the saga')
    .option('--state <state>', 'only instances in this state')
    .option('--status <list>', `comma-separated statuses (${STATUSES.join(', ')})`, statusList)
    .option('--limit <n>', 'at most this many instances, most recently updated first', positiveInt)
    .option('--out <file>', 'write to this file instead of stdout')
    .action((o, command: Command) =>
      run(
        (async () => {
          const repository = await openRepository(connection(command), io);
          try {
            return await exportCommand(
              repository,
              { saga: o.saga, ...defined({ state: o.state, status: o.status, limit: o.limit, out: o.out }) },
              io,
            );
          } finally {
            await repository.close?.();
          }
        })(),
      ),
    );

  program
    .command('replay')
    .description('run exported histories through the definitions of --sagas; exit code 1 where they diverge')
    .requiredOption('--from <file>', 'the histories, as `sagaflow export` wrote them (JSON lines)')
    .option('--run-compensations', 'run compensation handlers instead of recording them, and compare their messages')
    .option('--json', 'print JSON ({ instances, diverged, ok })')
    .action((o, command: Command) =>
      run(
        (async () => {
          const { sagas } = connection(command);
          if (sagas === undefined) command.error('error: replay needs the definitions to replay against: --sagas <module>');
          return replayCommand(await loadSagas(sagas), { from: o.from, json: o.json === true, runCompensations: o.runCompensations === true }, io);
        })(),
      ),
    );

  program
    .command('serve')
    .description('serve the HTTP API and the web dashboard (a token is needed beyond 127.0.0.1)')
    .option('--port <port>', 'port (0 picks a free one)', port, 3000)
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all: needs a token)', '127.0.0.1')
    .addOption(new Option('--token <token>', 'require this bearer token on /api (visible in ps: prefer --token-file)').env('SAGAFLOW_TOKEN'))
    .option('--token-file <path>', 'read the bearer token from this file (a trailing newline is ignored)')
    .addOption(
      new Option('--principals-file <path>', 'JSON list of named principals, each with a token and a role: viewer, operator or ingress (docs/operations.md)').env(
        'SAGAFLOW_PRINCIPALS_FILE',
      ),
    )
    .option('--insecure-no-auth', 'serve without a token on a non-loopback --host (only behind something that authenticates)')
    .option('--allowed-host <name>', 'also answer to this host name (repeatable; * for any, when a proxy checks Host)', collect, [])
    .option('--read-only', 'refuse every action (replay, discard, retry)')
    .option('--poll-interval <ms>', 'how often live updates poll the store', positiveInt, 1000)
    .action((o, command: Command) =>
      run(
        // Checked before the database is opened: a refused start-up touches nothing.
        checkServeOptions({
          port: o.port,
          host: o.host,
          token: o.token ?? io.env.SAGAFLOW_TOKEN,
          tokenFile: o.tokenFile,
          principalsFile: o.principalsFile ?? io.env.SAGAFLOW_PRINCIPALS_FILE,
          principalsJson: io.env.SAGAFLOW_PRINCIPALS,
          insecureNoAuth: o.insecureNoAuth === true,
          allowedHosts: o.allowedHost,
          readOnly: o.readOnly === true,
          pollInterval: o.pollInterval,
        }).then((checked) =>
          withOperations(connection(command), io, (ops) => serveCommand(ops, checked, io, options.signal ?? new AbortController().signal)),
        ),
      ),
    );

  registerFindCommands(program, { io, run, connection });

  return { program, result: () => exitCode };
}

/**
 * Parses `args` (without `node` and the script) and runs the command. Never throws: errors are printed
 * to `io.err` and become exit code 1, usage mistakes exit code 2.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), processIo);
 */
export async function runCli(args: readonly string[], io: CliIo, options: { readonly signal?: AbortSignal } = {}): Promise<number> {
  const { program, result } = buildProgram(io, options);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return result();
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers; anything else commander throws is a usage mistake.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? 0 : 2;
    }
    io.err(error instanceof SagaflowError ? `error [${error.code}]: ${error.message}` : `error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
