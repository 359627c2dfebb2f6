/**
 * @module repository/in-memory-dead-letter-store
 * The dead-letter half of `InMemorySagaRepository`, with the semantics of the `sagaflow_dead_letters`
 * table: one letter per id, pages in (createdAt, id) order, a replay that fails again updates the letter
 * in place. Letters are kept as JSON text, so callers get copies and nothing they hold can change what
 * is stored.
 */
import { assertStorable } from '../core/storable.ts';
import { checkDeadLetter } from './check-storable.ts';
import { decodeCursor, encodeCursor, pageSize } from './cursor.ts';
import { byGroupCount } from './find-helpers.ts';
import type { DeadLetter, DeadLetterCountQuery, DeadLetterGroupCount, DeadLetterQuery, Page } from './types.ts';

type DeadLetterMatch = Pick<DeadLetterQuery, 'reason' | 'sagaName' | 'messageType'>;

/**
 * @example
 * const letters = new InMemoryDeadLetterStore();
 * letters.add(letter);
 * letters.list({ reason: 'poison', limit: 20 });
 */
export class InMemoryDeadLetterStore {
  readonly #rows = new Map<string, string>();

  add(letter: DeadLetter): void {
    checkDeadLetter(letter);
    if (this.#rows.has(letter.id)) throw new RangeError(`dead letter '${letter.id}' exists`);
    this.#rows.set(letter.id, JSON.stringify(letter));
  }

  get(id: string): DeadLetter | null {
    const json = this.#rows.get(id);
    return json === undefined ? null : thaw(json);
  }

  list(query: DeadLetterQuery = {}): Page<DeadLetter> {
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = [...this.#rows.values()]
      .map(thaw)
      .filter((d) => matches(d, query))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .filter((d) => {
        if (!after) return true;
        const c = d.createdAt.getTime() - after.updatedAt.getTime();
        return c > 0 || (c === 0 && d.id > after.id);
      });
    const page = rows.slice(0, limit);
    const items = query.withoutEnvelope ? page.map((d) => ({ ...d, envelope: undefined })) : page;
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ updatedAt: last.createdAt, id: last.id }) : null };
  }

  count(query: DeadLetterCountQuery = {}): number {
    let count = 0;
    for (const json of this.#rows.values()) if (matches(thaw(json), query)) count++;
    return count;
  }

  countBy(): readonly DeadLetterGroupCount[] {
    const counts = new Map<string, DeadLetterGroupCount>();
    for (const json of this.#rows.values()) {
      const d = thaw(json);
      const key = JSON.stringify([d.reason, d.messageType, d.sagaName]);
      const c = counts.get(key);
      counts.set(key, { reason: d.reason, messageType: d.messageType, sagaName: d.sagaName, count: (c?.count ?? 0) + 1 });
    }
    return [...counts.values()].sort(byGroupCount);
  }

  /** A replay that failed again: the new error, one more replay. False when there is no such letter. */
  update(id: string, update: { readonly errorCode: string; readonly errorMessage: string; readonly at: Date }): boolean {
    assertStorable(update.errorMessage, 'errorMessage');
    const json = this.#rows.get(id);
    if (json === undefined) return false;
    const letter = thaw(json);
    const next: DeadLetter = { ...letter, errorCode: update.errorCode, errorMessage: update.errorMessage, replays: letter.replays + 1, updatedAt: update.at };
    this.#rows.set(id, JSON.stringify(next));
    return true;
  }

  /** Each letter's stored JSON, for scans that read a field or two of every letter. */
  json(): Iterable<string> {
    return this.#rows.values();
  }

  delete(id: string): boolean {
    return this.#rows.delete(id);
  }
}

function matches(d: DeadLetter, query: DeadLetterMatch): boolean {
  return (
    (query.reason === undefined || d.reason === query.reason) &&
    (query.sagaName === undefined || d.sagaName === query.sagaName) &&
    (query.messageType === undefined || d.messageType === query.messageType)
  );
}

function thaw(json: string): DeadLetter {
  const d = JSON.parse(json) as DeadLetter & { createdAt: string; updatedAt: string };
  return { ...d, createdAt: new Date(d.createdAt), updatedAt: new Date(d.updatedAt) };
}
