/**
 * @module repository/in-memory-command-store
 * The command half of `InMemorySagaRepository`: handled commands and their outcomes, with the same
 * semantics as the `sagaflow_commands` table (claim with a lease, finish once, recover expired runs).
 * Records are kept as JSON text, so callers get copies and nothing they hold can change what is stored.
 */
import { decodeCursor, encodeCursor, pageSize } from './cursor.ts';
import {
  CommandStatus,
  type CommandClaim,
  type CommandFinish,
  type CommandQuery,
  type CommandRecord,
  type ExpiredCommandClaim,
  type OutboxEntry,
  type Page,
} from './types.ts';
import type { Envelope } from '../messages/envelope.ts';

export class InMemoryCommandStore {
  readonly #rows = new Map<string, string>();
  readonly #stage: (entries: readonly OutboxEntry[]) => void;

  /** `stage` puts a finished command's messages in the repository's outbox, in the same step. */
  constructor(stage: (entries: readonly OutboxEntry[]) => void) {
    this.#stage = stage;
  }

  claim(claim: { envelope: Envelope; target: string | null; now: Date; leaseUntil: Date }): CommandClaim {
    const { envelope, now, leaseUntil } = claim;
    const existing = this.#get(envelope.messageId);
    if (existing === null) {
      const command: CommandRecord = {
        id: envelope.messageId,
        commandType: envelope.type,
        target: claim.target,
        correlationId: envelope.correlationId ?? null,
        envelope,
        status: CommandStatus.Running,
        attempts: 1,
        leaseUntil,
        output: null,
        error: null,
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
      };
      this.#put(command);
      return { status: 'claimed', command: this.#get(command.id)! };
    }
    if (existing.status !== CommandStatus.Running) return { status: 'finished', command: existing };
    if (existing.leaseUntil !== null && existing.leaseUntil.getTime() > now.getTime()) return { status: 'busy', command: existing };
    this.#put({ ...existing, attempts: existing.attempts + 1, leaseUntil, updatedAt: now });
    return { status: 'claimed', command: this.#get(existing.id)! };
  }

  renew(id: string, update: { attempts: number; leaseUntil: Date; now: Date }): boolean {
    const existing = this.#get(id);
    if (existing?.status !== CommandStatus.Running) return false;
    this.#put({ ...existing, attempts: update.attempts, leaseUntil: update.leaseUntil, updatedAt: update.now });
    return true;
  }

  finish(finish: CommandFinish): boolean {
    const existing = this.#get(finish.id);
    if (existing?.status !== CommandStatus.Running) return false;
    this.#put({
      ...existing,
      status: finish.status,
      attempts: finish.attempts,
      leaseUntil: null,
      output: finish.output ?? null,
      error: finish.error ?? null,
      updatedAt: finish.at,
      finishedAt: finish.at,
    });
    this.#stage(finish.outbox);
    return true;
  }

  claimExpired(options: ExpiredCommandClaim): CommandRecord[] {
    const types = new Set(options.types);
    const due = [...this.#rows.keys()]
      .map((id) => this.#get(id)!)
      .filter((c) => c.status === CommandStatus.Running && c.leaseUntil !== null && c.leaseUntil.getTime() <= options.now.getTime())
      .filter((c) => types.has(c.commandType) && (c.target === null || c.target === options.group))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, Math.max(0, Math.floor(options.limit)));
    for (const c of due) this.#put({ ...c, leaseUntil: options.leaseUntil, updatedAt: options.now });
    return due.map((c) => this.#get(c.id)!);
  }

  find(id: string): CommandRecord | null {
    return this.#get(id);
  }

  list(query: CommandQuery = {}): Page<CommandRecord> {
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = [...this.#rows.keys()]
      .map((id) => this.#get(id)!)
      .filter(
        (c) =>
          (query.status === undefined || c.status === query.status) &&
          (query.commandType === undefined || c.commandType === query.commandType) &&
          (query.correlationId === undefined || c.correlationId === query.correlationId),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .filter((c) => {
        if (!after) return true;
        const d = after.updatedAt.getTime() - c.createdAt.getTime();
        return d > 0 || (d === 0 && c.id < after.id);
      });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ updatedAt: last.createdAt, id: last.id }) : null };
  }

  #put(command: CommandRecord): void {
    this.#rows.set(command.id, JSON.stringify(command));
  }

  #get(id: string): CommandRecord | null {
    const json = this.#rows.get(id);
    if (json === undefined) return null;
    const raw = JSON.parse(json) as Record<string, unknown>;
    const date = (v: unknown) => (v === null ? null : new Date(v as string));
    return {
      ...(raw as unknown as CommandRecord),
      output: raw.output === undefined ? null : raw.output,
      leaseUntil: date(raw.leaseUntil),
      createdAt: new Date(raw.createdAt as string),
      updatedAt: new Date(raw.updatedAt as string),
      finishedAt: date(raw.finishedAt),
    };
  }
}
