/**
 * @module evolution/aliases
 * Messages do not migrate: a scheduled timeout in the outbox, an event in a queue, a command's outcome on
 * its way back all still carry the name they were sent under. A saga whose migrations renamed an event
 * (or a command, whose outcome events follow it) therefore also accepts the old name, as the new one:
 * the orchestrator routes it with these aliases, composed over every version.
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import type { Envelope } from '../messages/envelope.ts';
import { REQUEST_HEADER } from '../runtime/requests.ts';
import { eventRenames } from './migration.ts';

/** Old name → the current name, over all versions (a name renamed twice maps to the last). */
function composed(version: number, renamesOf: (v: number) => ReadonlyMap<string, string>): Map<string, string> {
  const aliases = new Map<string, string>();
  for (let v = 1; v < version; v++) {
    for (const [from, to] of renamesOf(v)) {
      for (const [old, now] of aliases) if (now === from) aliases.set(old, to);
      aliases.set(from, to);
    }
  }
  for (const [old, now] of aliases) if (old === now) aliases.delete(old);
  return aliases;
}

/** Old event type → current event type, for the events `saga` handles under their new name only. */
export function eventAliases(saga: CompiledSaga): ReadonlyMap<string, string> {
  const { dataVersion, migrations } = saga.definition;
  if (dataVersion === 1) return new Map();
  const all = composed(dataVersion, (v) => eventRenames(migrations[v] ?? {}));
  return new Map([...all].filter(([old, now]) => saga.events.has(now) && !saga.events.has(old)));
}

/** Old command name → current command name. */
export function commandAliases(saga: CompiledSaga): ReadonlyMap<string, string> {
  const { dataVersion, migrations } = saga.definition;
  return composed(dataVersion, (v) => new Map(Object.entries(migrations[v]?.commands ?? {})));
}

/**
 * The envelope as the current definition names it: the new type and, for the answer to a request of a
 * renamed command, the new request key (the instance's pending request was renamed by its migration).
 */
export function renamedEnvelope(envelope: Envelope, type: string, commands: ReadonlyMap<string, string>): Envelope {
  const key = envelope.headers[REQUEST_HEADER];
  const command = key?.startsWith('request:') ? commands.get(key.slice('request:'.length)) : undefined;
  const headers = command === undefined ? envelope.headers : { ...envelope.headers, [REQUEST_HEADER]: `request:${command}` };
  return { ...envelope, type, headers };
}
