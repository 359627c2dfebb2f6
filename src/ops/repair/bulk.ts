/**
 * @module ops/repair/bulk
 *
 * Repairs in bulk, by filter: cancel instances, retry their failed compensations, replay or discard
 * dead letters. Two steps, so a filter never acts on more than the operator saw: a dry run answers how
 * many match (and a sample of ids); the real run needs that count confirmed (`expectCount`) and refuses
 * with `BulkCountMismatchError` when the filter matches another number now. It is bounded: at most
 * `MAX_BULK` items a call (narrow the filter, or run it again), taken in pages, each item recorded and
 * reported on its own (one item's failure does not stop the others).
 */
import { BulkCountMismatchError } from '../../errors/bulk-count-mismatch-error.ts';
import { RepairRefusedError } from '../../errors/repair-refused-error.ts';
import { SagaflowError } from '../../errors/sagaflow-error.ts';
import { SagaStatus, type DeadLetterCountQuery, type SagaRepository } from '../../repository/types.ts';
import type { Actor } from './audit.ts';
import { checkActor } from './audit.ts';
import type { BulkInstanceFilter } from './bulk-filter.ts';
import type { RepairOperations } from './repair-operations.ts';

/** Most items one bulk call acts on. */
export const MAX_BULK = 1000;
/** Ids a dry run shows. */
const SAMPLE = 10;
const PAGE = 200;

export type BulkInstanceAction = 'cancel' | 'retry-compensation';
export type BulkLetterAction = 'replay' | 'discard';

export interface BulkOptions {
  /** Count only (the default when `expectCount` is not given). */
  readonly dryRun?: boolean | undefined;
  /** The count the dry run showed: the real run goes ahead only if the filter still matches exactly that many. */
  readonly expectCount?: number | undefined;
}

export interface BulkItemOutcome {
  readonly id: string;
  readonly ok: boolean;
  /** The error's code and message when it failed. */
  readonly error?: { readonly code: string; readonly message: string };
}

export type BulkResult =
  | { readonly dryRun: true; readonly count: number; readonly sample: readonly string[] }
  | { readonly dryRun: false; readonly count: number; readonly succeeded: number; readonly failed: number; readonly items: readonly BulkItemOutcome[] };

/** The statuses each instance action applies to: the filter is narrowed to them. */
const APPLIES_TO: Readonly<Record<BulkInstanceAction, readonly SagaStatus[]>> = {
  cancel: [SagaStatus.Active, SagaStatus.CompensationFailed],
  'retry-compensation': [SagaStatus.CompensationFailed],
};

/**
 * @example
 * const dry = await ops.repair.bulk.instances('cancel', { sagaName: 'order', state: 'AwaitingPayment' }, {}, actor);
 * await ops.repair.bulk.instances('cancel', { sagaName: 'order', state: 'AwaitingPayment' }, { expectCount: dry.count }, actor);
 */
export class BulkOperations {
  readonly #repository: SagaRepository;
  readonly #repair: RepairOperations;

  constructor(repository: SagaRepository, repair: RepairOperations) {
    this.#repository = repository;
    this.#repair = repair;
  }

  async instances(action: BulkInstanceAction, filter: BulkInstanceFilter, options: BulkOptions, actor: Partial<Actor>): Promise<BulkResult> {
    const who = checkActor(action, actor);
    const ids = await this.#matchingInstances(action, filter);
    return this.#run(action, ids, options, (id) =>
      action === 'cancel' ? this.#repair.cancel(id, {}, who) : this.#repair.retryCompensation(id, who),
    );
  }

  async deadLetters(action: BulkLetterAction, filter: DeadLetterCountQuery, options: BulkOptions, actor: Partial<Actor>): Promise<BulkResult> {
    const name = action === 'replay' ? 'replay-dead-letter' : 'discard-dead-letter';
    const who = checkActor(name, actor);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#repository.listDeadLetters({ ...filter, withoutEnvelope: true, limit: PAGE, ...(cursor !== undefined && { cursor }) });
      ids.push(...page.items.map((l) => l.id));
      cursor = page.nextCursor ?? undefined;
      if (ids.length > MAX_BULK) throw tooMany(`bulk ${action}`);
    } while (cursor !== undefined);
    return this.#run(`${action} dead letters`, ids, options, (id) =>
      action === 'replay' ? this.#repair.replayDeadLetter(id, who) : this.#repair.discardDeadLetter(id, who),
    );
  }

  /** Every matching id (at most `MAX_BULK`), oldest update first, in pages. */
  async #matchingInstances(action: BulkInstanceAction, filter: BulkInstanceFilter): Promise<string[]> {
    const wanted = filter.status === undefined ? undefined : typeof filter.status === 'string' ? [filter.status] : filter.status;
    const status = APPLIES_TO[action].filter((s) => wanted === undefined || wanted.includes(s));
    if (status.length === 0) return [];
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#repository.list({ ...filter, status, order: 'asc', limit: PAGE, ...(cursor !== undefined && { cursor }) });
      ids.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
      if (ids.length > MAX_BULK) throw tooMany(`bulk ${action}`);
    } while (cursor !== undefined);
    return ids;
  }

  async #run(action: string, ids: readonly string[], options: BulkOptions, act: (id: string) => Promise<unknown>): Promise<BulkResult> {
    if (options.dryRun === true || options.expectCount === undefined) return { dryRun: true, count: ids.length, sample: ids.slice(0, SAMPLE) };
    if (options.expectCount !== ids.length) throw new BulkCountMismatchError(action, options.expectCount, ids.length);
    const items: BulkItemOutcome[] = [];
    // One at a time: each item is a version-checked write, and a compensation run of its own.
    for (const id of ids) {
      try {
        await act(id);
        items.push({ id, ok: true });
      } catch (error) {
        items.push({ id, ok: false, error: codeAndMessage(error) });
      }
    }
    const succeeded = items.filter((i) => i.ok).length;
    return { dryRun: false, count: ids.length, succeeded, failed: items.length - succeeded, items };
  }
}

function tooMany(action: string): RepairRefusedError {
  return new RepairRefusedError('(filter)', action, `the filter matches more than ${MAX_BULK}; narrow it (by saga, state, status) and run it in parts`);
}

/** What a client may see of an item's failure: a Sagaflow error's code and message, nothing of others. */
function codeAndMessage(error: unknown): { code: string; message: string } {
  if (error instanceof SagaflowError) return { code: error.code, message: error.message };
  return { code: 'SAGA_INTERNAL', message: 'the action failed unexpectedly; the server logged it' };
}
