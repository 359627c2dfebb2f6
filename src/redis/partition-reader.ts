/**
 * @module redis/partition-reader
 * Reads the partitions this instance holds, one blocking `XREADGROUP` over all of them at a time (on a
 * connection of its own), and handles each entry to the end:
 * - every local handler succeeded: `XACK` and `XDEL` (the stream belongs to one service, so nobody else
 *   needs the entry);
 * - a handler failed: retried here after a backoff, each retry counted in Redis with `XCLAIM`, until
 *   `maxDeliveries`; then moved to the dead-letter stream with the reason;
 * - unreadable, or no handler for its type here: moved to the dead-letter stream at once.
 * A partition that this instance starts holding (or holds again after a lost connection) is first
 * cleared of pending entries nobody is handling: `XAUTOCLAIM` takes over what a dead instance left, and
 * what this one could not acknowledge. `stop(p)` returns only when nothing of `p` is in flight here: the
 * hand-over waits for it before releasing the lease.
 */
import type { Redis } from 'ioredis';
import type { MessageHandler } from '../bus/message-bus.ts';
import { decodeBody, handlersFor, redeliveryDelay, runHandlers } from '../partitioning/handlers.ts';
import { InFlight } from '../partitioning/in-flight.ts';
import { deadLetterStream, GROUP, partitionStream, type RedisNames } from './keys.ts';
import { Pauses } from '../partitioning/pauses.ts';

export interface RedeliveryOptions {
  /** The pause before the first retry; each further one doubles it. Default 200 ms. */
  readonly initialDelayMs?: number;
  /** Longest pause before a retry. Default 5 s. */
  readonly maxDelayMs?: number;
}

export interface PartitionReaderOptions {
  readonly redis: Redis;
  readonly blocking: Redis;
  readonly names: RedisNames;
  readonly member: string;
  readonly prefetch: number;
  readonly maxDeliveries: number;
  readonly redelivery: RedeliveryOptions;
  readonly handlers: ReadonlyMap<string, ReadonlySet<MessageHandler>>;
  /** True while this instance may read the partition. */
  readonly holds: (partition: number) => boolean;
  readonly owned: () => readonly number[];
  /** The streams or their group are gone (Redis restarted without persistence): declare again. */
  readonly onMissingGroups: () => void;
  readonly onError: (error: unknown) => void;
}

type Entry = [id: string, fields: string[] | null];
const BLOCK_MS = 300;

export class RedisPartitionReader {
  readonly #o: PartitionReaderOptions;
  readonly #inFlight = new InFlight();
  /** Entry ids being handled here (`<partition>/<id>`), not to be claimed a second time. */
  readonly #handling = new Set<string>();
  readonly #stopping = new Set<number>();
  /** Partitions whose pending entries must be looked at before reading new ones. */
  readonly #dirty = new Set<number>();
  readonly #pauses = new Pauses();
  #read: { readonly partitions: ReadonlySet<number>; readonly done: Promise<unknown> } | undefined;
  #running: Promise<void> | undefined;
  #closing = false;

  constructor(options: PartitionReaderOptions) {
    this.#o = options;
  }

  /** A partition was acquired: recover its pending entries, then read it. */
  start(partition: number): void {
    this.#stopping.delete(partition);
    this.#dirty.add(partition);
    this.#inFlight.notify();
  }

  /** Stop reading `partition`; resolves once the read under way returned and its entries in flight settled. */
  async stop(partition: number): Promise<void> {
    this.#stopping.add(partition);
    this.#pauses.wakeAll(); // cut retry pauses short: their entries stay pending for the next owner
    if (this.#read?.partitions.has(partition)) await this.#read.done;
    await this.#inFlight.drain(partition);
    this.#dirty.delete(partition);
  }

  /** After a reconnect: acks may have been lost, so look at the pending entries of every partition held. */
  recoverAll(): void {
    for (const p of this.#o.owned()) this.#dirty.add(p);
  }

  /** Starts the read loop if it is not running. */
  run(): void {
    this.#running ??= this.#loop().finally(() => (this.#running = undefined));
  }

  closing(): void {
    this.#closing = true;
    this.#pauses.wakeAll();
  }

  async close(): Promise<void> {
    this.closing();
    await this.#running;
    await this.#inFlight.drainAll();
  }

  async quit(): Promise<void> {
    await this.#o.blocking.quit().catch(() => this.#o.blocking.disconnect());
  }

  async #loop(): Promise<void> {
    const { names, prefetch, holds, member, blocking } = this.#o;
    while (!this.#closing) {
      const held = this.#o.owned().filter((p) => holds(p) && !this.#stopping.has(p));
      const dirty = held.find((p) => this.#dirty.has(p));
      if (dirty !== undefined) {
        this.#dirty.delete(dirty);
        await this.#recover(dirty).catch(async (error: unknown) => {
          this.#dirty.add(dirty);
          await this.#failed(error);
        });
        continue;
      }
      const ready = held.filter((p) => this.#inFlight.count(p) < prefetch);
      if (ready.length === 0) {
        await this.#inFlight.changed(held.length === 0 ? 200 : 1_000);
        continue;
      }
      const count = Math.min(...ready.map((p) => prefetch - this.#inFlight.count(p)));
      const streams = ready.map((p) => partitionStream(names, p));
      const read = blocking.call('XREADGROUP', 'GROUP', GROUP, member, 'COUNT', count, 'BLOCK', BLOCK_MS, 'STREAMS', ...streams, ...ready.map(() => '>')) as Promise<
        [string, Entry[]][] | null
      >;
      this.#read = { partitions: new Set(ready), done: read.catch(() => {}) };
      let reply: [string, Entry[]][] | null;
      try {
        reply = await read;
      } catch (error) {
        await this.#failed(error);
        continue;
      } finally {
        this.#read = undefined;
      }
      for (const [stream, entries] of reply ?? []) {
        const p = ready[streams.indexOf(stream)]!;
        for (const [id, fields] of entries) {
          // Read just as the partition was given up: left pending, the next owner claims it.
          if (!holds(p) || this.#stopping.has(p)) this.#dirty.add(p);
          else this.#dispatch(p, id, fields, 1);
        }
      }
    }
  }

  /** Takes over the partition's pending entries that nobody here is handling, a batch at a time. */
  async #recover(p: number): Promise<void> {
    const { redis, names, member, prefetch, holds } = this.#o;
    const stream = partitionStream(names, p);
    let cursor = '0-0';
    do {
      const [next, entries, deleted] = (await redis.call('XAUTOCLAIM', stream, GROUP, member, 0, cursor, 'COUNT', prefetch)) as [string, Entry[], string[]?];
      if (deleted !== undefined && deleted.length > 0) await redis.call('XACK', stream, GROUP, ...deleted);
      const fresh = entries.filter(([id]) => !this.#handling.has(`${p}/${id}`));
      const counts = fresh.length > 0 ? await this.#deliveryCounts(stream, fresh) : new Map<string, number>();
      for (const [id, fields] of fresh) this.#dispatch(p, id, fields, counts.get(id) ?? 1);
      while (this.#inFlight.count(p) >= prefetch && !this.#closing) await this.#inFlight.changed(1_000);
      cursor = next;
    } while (cursor !== '0-0' && holds(p) && !this.#stopping.has(p) && !this.#closing);
  }

  /** How many times Redis delivered each entry (XAUTOCLAIM counted the claim). */
  async #deliveryCounts(stream: string, entries: readonly Entry[]): Promise<Map<string, number>> {
    const ids = entries.map(([id]) => id);
    const rows = (await this.#o.redis.call('XPENDING', stream, GROUP, ids[0]!, ids[ids.length - 1]!, ids.length * 4, this.#o.member)) as [string, string, number, number][];
    return new Map(rows.map(([id, , , count]) => [id, count]));
  }

  #dispatch(p: number, id: string, fields: string[] | null, deliveries: number): void {
    const key = `${p}/${id}`;
    this.#handling.add(key);
    const work = this.#handle(p, id, fields, deliveries)
      .catch((error: unknown) => {
        this.#dirty.add(p); // an ack or move that failed: the entry is still pending, look again
        this.#o.onError(error);
      })
      .finally(() => this.#handling.delete(key));
    this.#inFlight.track(p, work);
  }

  async #handle(p: number, id: string, fields: string[] | null, deliveries: number): Promise<void> {
    const { redis, names, member, onError, holds } = this.#o;
    const stream = partitionStream(names, p);
    if (fields === null) return void (await redis.xack(stream, GROUP, id)); // deleted meanwhile
    const f = fieldMap(fields);
    const decoded = decodeBody(f.body ?? '', f.type);
    if ('problem' in decoded) {
      onError(new Error(`moved entry ${id} of ${stream} to the dead-letter stream: ${decoded.problem}`));
      return this.#deadLetter(p, id, f, decoded.problem);
    }
    const handlers = handlersFor(this.#o.handlers, decoded.type);
    if (handlers.length === 0) {
      onError(new Error(`moved '${decoded.type}' message ${f.id ?? id} to the dead-letter stream: no handler for it here`));
      return this.#deadLetter(p, id, f, 'no handler for its type');
    }
    for (;;) {
      const outcome = await runHandlers(handlers, decoded.body);
      if (outcome === undefined) {
        await redis.multi().xack(stream, GROUP, id).xdel(stream, id).exec().then(failedIn);
        return;
      }
      onError(outcome.failed);
      if (deliveries >= this.#o.maxDeliveries) return this.#deadLetter(p, id, f, `failed ${deliveries} times: ${describe(outcome.failed)}`);
      await this.#pause(redeliveryDelay(this.#o.redelivery, deliveries));
      if (this.#closing || !holds(p) || this.#stopping.has(p)) return; // stays pending: whoever holds the partition next claims it
      const again = (await redis.call('XCLAIM', stream, GROUP, member, 0, id)) as Entry[];
      if (again.length === 0) return; // settled elsewhere meanwhile
      deliveries++;
    }
  }

  async #deadLetter(p: number, id: string, f: Record<string, string>, reason: string): Promise<void> {
    const { redis, names } = this.#o;
    const stream = partitionStream(names, p);
    const copy = Object.entries(f).flat();
    await redis
      .multi()
      .xadd(deadLetterStream(names), '*', ...copy, 'reason', reason.slice(0, 1_000), 'stream', stream, 'entry', id)
      .xack(stream, GROUP, id)
      .xdel(stream, id)
      .exec()
      .then(failedIn);
  }

  /** A pause that closing, and handing a partition over, cut short (`Pauses`). */
  #pause(ms: number): Promise<void> {
    return this.#closing ? Promise.resolve() : this.#pauses.pause(ms);
  }

  async #failed(error: unknown): Promise<void> {
    if (/NOGROUP|no such key/i.test(String(error))) this.#o.onMissingGroups();
    else if (!this.#closing) this.#o.onError(error);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function fieldMap(fields: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
  return map;
}

/** `MULTI … EXEC` reports each command's error in its result: throw the first. */
function failedIn(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new Error('the transaction was discarded');
  const failure = results.find(([error]) => error !== null);
  if (failure) throw failure[0];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
