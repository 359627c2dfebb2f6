/**
 * @module repository/in-memory-outbox
 * The outbox half of `InMemorySagaRepository`, with the semantics of the `sagaflow_outbox` table: a
 * claim leases the due messages oldest id first, a message stays until it is marked sent, and staging an
 * id twice keeps the first. Envelopes are kept as JSON text, so a claim hands out copies.
 */
import type { ClaimOptions, OutboxEntry, OutboxMessage } from './types.ts';

/** One stored message; times as epoch milliseconds. */
export interface StoredOutbox {
  readonly id: string;
  readonly envelopeJson: string;
  readonly instanceId: string | null;
  readonly availableAt: number;
  readonly attempts: number;
  readonly createdAt: number;
}

/**
 * The stored form of `e`. Throws when the envelope has no JSON form, so a commit can make every stored
 * message before it changes anything.
 */
export function storeOutbox(e: OutboxEntry, instanceId: string | null, now: number): StoredOutbox {
  const envelopeJson = JSON.stringify(e.envelope);
  if (envelopeJson === undefined) throw new TypeError(`outbox entry '${e.id}' has no JSON envelope`);
  return { id: e.id, envelopeJson, instanceId, availableAt: e.availableAt.getTime(), attempts: 0, createdAt: now };
}

/**
 * @example
 * const outbox = new InMemoryOutbox();
 * outbox.stage([entry]);
 * const due = outbox.claim({ limit: 100, leaseMs: 30_000 });
 */
export class InMemoryOutbox {
  /** Insertion order is id order for UUIDv7 ids made in this process, which is what a relay wants. */
  readonly #rows = new Map<string, StoredOutbox>();

  /** Adds what a commit wrote (the same id again replaces it, as the commit's own rows would). */
  put(stored: readonly StoredOutbox[]): void {
    for (const o of stored) this.#rows.set(o.id, o);
  }

  /** Adds messages staged outside a commit (all or none); an id already there keeps its first message. */
  stage(entries: readonly OutboxEntry[]): void {
    const stored = entries.map((e) => storeOutbox(e, null, Date.now()));
    for (const o of stored) if (!this.#rows.has(o.id)) this.#rows.set(o.id, o);
  }

  claim(options: ClaimOptions): readonly OutboxMessage[] {
    const now = 'leaseMs' in options ? Date.now() : options.now.getTime();
    const leaseUntil = 'leaseMs' in options ? now + options.leaseMs : options.leaseUntil.getTime();
    const claimed: OutboxMessage[] = [];
    const due = [...this.#rows.values()].filter((o) => o.availableAt <= now).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const o of due.slice(0, options.limit)) {
      const next: StoredOutbox = { ...o, availableAt: leaseUntil, attempts: o.attempts + 1 };
      this.#rows.set(o.id, next);
      claimed.push(thaw(next));
    }
    return claimed;
  }

  /** Removes sent or cancelled messages. */
  remove(ids: readonly string[]): void {
    for (const id of ids) this.#rows.delete(id);
  }

  get size(): number {
    return this.#rows.size;
  }
}

function thaw(o: StoredOutbox): OutboxMessage {
  return {
    id: o.id,
    envelope: JSON.parse(o.envelopeJson),
    availableAt: new Date(o.availableAt),
    attempts: o.attempts,
    createdAt: new Date(o.createdAt),
  };
}
