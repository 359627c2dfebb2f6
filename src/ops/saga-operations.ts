/**
 * @module ops/saga-operations
 *
 * The operations facade: the queries and actions an operator needs, shared by the HTTP API and the
 * CLI. It reads through the repository port only, so it works on any store and sees every process's
 * instances; actions that run saga code (replaying a dead letter in process, retrying a compensation)
 * go through an orchestrator when one is given. Answers are plain JSON views (`ops/views`).
 */
import type { Clock } from '../clock/clock.ts';
import { systemClock } from '../clock/clock.ts';
import type { CompiledSaga } from '../core/compiled-saga.ts';
import type { AnySaga } from '../dsl/saga.ts';
import { CommandNotFoundError } from '../errors/command-not-found-error.ts';
import { DeadLetterNotFoundError } from '../errors/dead-letter-not-found-error.ts';
import { NotCompensationFailedError } from '../errors/not-compensation-failed-error.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { OrchestratorRequiredError } from '../errors/orchestrator-required-error.ts';
import { UnknownSagaError } from '../errors/unknown-saga-error.ts';
import { assertEnvelope } from '../messages/envelope.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import type { CommandStatus, DeadLetterReason, SagaRepository, SagaStatus, SortOrder, StateCount, VersionCount } from '../repository/types.ts';
import { SagaStatus as Status } from '../repository/types.ts';
import type { SagaOrchestrator } from '../runtime/orchestrator.ts';
import { ChangeFeed, type ChangeFeedOptions, type FeedEvent } from './change-feed.ts';
import { defined } from './defined.ts';
import { RepairOperations } from './repair/repair-operations.ts';
import { renderDiagram, type DiagramFormat } from './diagram.ts';
import {
  toCommandView,
  toDeadLetterSummaryView,
  toDeadLetterView,
  toHistoryEntry,
  toInstanceView,
  toJsonValue,
  toSummary,
  type CommandView,
  type DeadLetterSummaryView,
  type DeadLetterView,
  type InstanceDetail,
  type InstanceSummary,
} from './views.ts';

export interface SagaOperationsOptions {
  readonly repository: SagaRepository;
  /** The sagas this process knows: their states for the overview, their diagrams. */
  readonly sagas?: readonly AnySaga[];
  /** For actions that run saga code. Its sagas count as known too. */
  readonly orchestrator?: SagaOrchestrator;
  readonly clock?: Clock;
}

export interface SagaOverview {
  readonly name: string;
  /** Every state of the definition (`Initial` first); empty for a saga found only in the store. */
  readonly states: readonly string[];
  readonly finalStates: readonly string[];
  readonly total: number;
  readonly counts: ReadonlyArray<{ readonly state: string; readonly status: SagaStatus; readonly count: number }>;
  /** The loaded definition's version; `null` for a saga found only in the store. */
  readonly definitionVersion: number | null;
  /** Instances per definition version that last wrote them: all, and live (not completed or faulted). */
  readonly versions: ReadonlyArray<{ readonly version: number; readonly total: number; readonly live: number }>;
  /** Live instances written by a version older than the loaded definition (what `sagaflow instances migrate` would take). */
  readonly liveOnOlderVersions: number;
}

export interface InstanceFilter {
  readonly saga?: string;
  readonly state?: string;
  readonly status?: readonly SagaStatus[];
  readonly correlationId?: string;
  /** Only instances last written by this definition version. */
  readonly definitionVersion?: number;
  /** Only instances not updated for at least this long. */
  readonly staleForMs?: number;
  readonly order?: SortOrder;
  /** 1..1000, default 50. */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface CommandFilter {
  readonly status?: CommandStatus;
  readonly type?: string;
  readonly correlationId?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** Which page of an instance's history `instance()` shows. */
export interface HistoryPage {
  /** Rows per page, default 100, at most 1000. */
  readonly historyLimit?: number;
  /** Only rows whose sequence is below this (the `historyBefore` of the page shown). */
  readonly historyBefore?: number;
}

export const DEFAULT_HISTORY_PAGE = 100;

export interface DeadLetterFilter {
  readonly reason?: DeadLetterReason;
  readonly saga?: string;
  readonly type?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export type ReplayResult =
  | { readonly outcome: 'dispatched'; readonly dispatch: unknown }
  | { readonly outcome: 'queued'; readonly outboxId: string; readonly messageId: string; readonly type: string };

export interface PageView<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/**
 * @example
 * const ops = new SagaOperations({ repository, sagas: [OrderSaga] });
 * const stuck = await ops.listInstances({ saga: 'order', status: ['active'], staleForMs: 3_600_000 });
 * const detail = await ops.instance(stuck.items[0].id);
 * console.log(ops.diagram('order', 'mermaid', detail.instance.state));
 */
export class SagaOperations {
  readonly repository: SagaRepository;
  readonly orchestrator: SagaOrchestrator | undefined;
  readonly #clock: Clock;
  readonly #sagas = new Map<string, CompiledSaga>();

  constructor(options: SagaOperationsOptions) {
    this.repository = options.repository;
    this.orchestrator = options.orchestrator;
    this.#clock = options.clock ?? options.orchestrator?.clock ?? systemClock;
    for (const saga of options.sagas ?? []) this.#sagas.set(saga.name, saga.compiled);
  }

  /** An operator's repairs, recorded in the audit trail (send, transition, cancel, bulk, audit listing). */
  get repair(): RepairOperations {
    return (this.#repair ??= new RepairOperations(this, this.#clock));
  }
  #repair: RepairOperations | undefined;

  /** The clock "stale for" and "older than" are measured by. */
  get clock(): Clock {
    return this.#clock;
  }

  /** The names of the sagas this process has definitions for. */
  get sagaNames(): readonly string[] {
    return [...this.#sagas.keys()];
  }

  /** The compiled saga; `UnknownSagaError` when this process does not have its definition. */
  saga(name: string): CompiledSaga {
    const compiled = this.#sagas.get(name) ?? this.orchestrator?.saga(name);
    if (!compiled) throw new UnknownSagaError(name, this.sagaNames);
    return compiled;
  }

  /** Every known saga (with no instances too) and every saga found in the store, with counts per state. */
  async sagas(): Promise<readonly SagaOverview[]> {
    const [counts, byVersion] = await Promise.all([this.repository.countByState(), this.#countByVersion()]);
    const names = new Set([...this.#sagas.keys(), ...counts.map((c) => c.sagaName)]);
    return [...names].sort().map((name) => {
      const compiled = this.#sagas.get(name) ?? this.orchestrator?.saga(name);
      const mine = counts.filter((c) => c.sagaName === name).map(({ state, status, count }) => ({ state, status, count }));
      const versions = new Map<number, { version: number; total: number; live: number }>();
      for (const c of byVersion) {
        if (c.sagaName !== name) continue;
        const v = versions.get(c.definitionVersion) ?? { version: c.definitionVersion, total: 0, live: 0 };
        v.total += c.count;
        if (c.status !== Status.Completed && c.status !== Status.Faulted) v.live += c.count;
        versions.set(c.definitionVersion, v);
      }
      const current = compiled?.definition.dataVersion ?? null;
      const list = [...versions.values()].sort((a, b) => a.version - b.version);
      return {
        name,
        states: compiled ? [...compiled.states] : [],
        finalStates: compiled ? [...compiled.finalStates] : [],
        total: mine.reduce((sum, c) => sum + c.count, 0),
        counts: mine,
        definitionVersion: current,
        versions: list,
        liveOnOlderVersions: current === null ? 0 : list.filter((v) => v.version < current).reduce((sum, v) => sum + v.live, 0),
      };
    });
  }

  /** Per (saga, definition version, status): the store's own count, else one paged scan. */
  async #countByVersion(): Promise<readonly VersionCount[]> {
    if (this.repository.countByVersion) return this.repository.countByVersion();
    const counts = new Map<string, { sagaName: string; definitionVersion: number; status: SagaStatus; count: number }>();
    let cursor: string | undefined;
    do {
      const page = await this.repository.list({ limit: 1000, ...(cursor !== undefined && { cursor }) });
      for (const r of page.items) {
        const key = `${r.sagaName}\u0000${r.dataVersion}\u0000${r.status}`;
        const c = counts.get(key) ?? { sagaName: r.sagaName, definitionVersion: r.dataVersion, status: r.status, count: 0 };
        c.count++;
        counts.set(key, c);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return [...counts.values()];
  }

  /** Instances per (saga, state, status). */
  async stats(saga?: string): Promise<{ readonly counts: readonly StateCount[] }> {
    return { counts: await this.repository.countByState(saga) };
  }

  /** A page of instances, newest update first unless `order: 'asc'`. */
  async listInstances(filter: InstanceFilter = {}): Promise<PageView<InstanceSummary>> {
    const page = await this.repository.list(
      defined({
        sagaName: filter.saga,
        state: filter.state,
        status: filter.status?.length ? filter.status : undefined,
        correlationId: filter.correlationId,
        definitionVersion: filter.definitionVersion,
        updatedBefore: filter.staleForMs === undefined ? undefined : new Date(this.#clock.now() - filter.staleForMs),
        order: filter.order,
        limit: filter.limit,
        cursor: filter.cursor,
      }),
    );
    return { items: page.items.map(toSummary), nextCursor: page.nextCursor };
  }

  /**
   * One instance with a page of its history (the newest `historyLimit` rows, default 100, or those
   * before `historyBefore`); `NotFoundError` when there is none.
   */
  async instance(id: string, page: HistoryPage = {}): Promise<InstanceDetail> {
    const record = await this.repository.findById(id);
    if (!record) throw new NotFoundError(id);
    const history = await this.repository.history(record.id, { limit: page.historyLimit ?? DEFAULT_HISTORY_PAGE, before: page.historyBefore });
    const first = history[0]?.sequence;
    return { instance: toInstanceView(record), history: history.map(toHistoryEntry), historyBefore: first !== undefined && first > 1 ? first : null };
  }

  /**
   * An instance by id, or by correlation id: within `saga` when given, else in whichever saga has it
   * (`NotFoundError` when none or several do; name the saga then).
   */
  async findInstance(key: string, saga?: string): Promise<InstanceDetail> {
    if (saga === undefined) {
      const byId = await this.repository.findById(key);
      if (byId) return this.instance(byId.id);
    }
    const page = await this.repository.list({ correlationId: key, ...(saga !== undefined && { sagaName: saga }), limit: 2 });
    const [only, other] = page.items;
    if (!only) {
      throw new NotFoundError(key, saga === undefined ? 'no instance has that id or correlation id' : `saga '${saga}' has no instance with that correlation id`);
    }
    if (other) throw new NotFoundError(key, `several sagas have an instance with that correlation id (${only.sagaName}, ${other.sagaName}, ...): name the saga`);
    return this.instance(only.id);
  }

  /** A saga's diagram; `highlight` marks a state. `UnknownSagaError` for a saga without a definition here. */
  diagram(saga: string, format: DiagramFormat, highlight?: string): string {
    return renderDiagram(this.saga(saga), format, highlight);
  }

  /** Commands handlers took, newest first, with their outcomes (`sagaflow_commands`). */
  async commands(filter: CommandFilter = {}): Promise<PageView<CommandView>> {
    const page = await this.repository.listCommands(
      defined({ status: filter.status, commandType: filter.type, correlationId: filter.correlationId, limit: filter.limit, cursor: filter.cursor }),
    );
    return { items: page.items.map(toCommandView), nextCursor: page.nextCursor };
  }

  async command(id: string): Promise<CommandView> {
    const command = await this.repository.findCommand(id);
    if (!command) throw new CommandNotFoundError(id);
    return toCommandView(command);
  }

  /** Dead letters, oldest first, as summaries: no envelopes (a letter's own view has it). */
  async deadLetters(filter: DeadLetterFilter = {}): Promise<PageView<DeadLetterSummaryView>> {
    const page = await this.repository.listDeadLetters(
      defined({ reason: filter.reason, sagaName: filter.saga, messageType: filter.type, limit: filter.limit, cursor: filter.cursor, withoutEnvelope: true }),
    );
    return { items: page.items.map(toDeadLetterSummaryView), nextCursor: page.nextCursor };
  }

  /** How many dead letters match, counted by the store. */
  async countDeadLetters(filter: Omit<DeadLetterFilter, 'limit' | 'cursor'> = {}): Promise<{ readonly count: number }> {
    return { count: await this.repository.countDeadLetters(defined({ reason: filter.reason, sagaName: filter.saga, messageType: filter.type })) };
  }

  async deadLetter(id: string): Promise<DeadLetterView> {
    const letter = await this.repository.getDeadLetter(id);
    if (!letter) throw new DeadLetterNotFoundError(id);
    return toDeadLetterView(letter);
  }

  /**
   * Replays a dead letter. With an orchestrator: dispatched here and now (`dispatched`; on failure the
   * letter stays with the new error and the error is thrown). Without: its envelope is staged in the
   * outbox for the workers' relays and the letter removed (`queued`); if this process dies between the
   * two, the letter stays too, and replaying it again is harmless since sagas skip a message id they
   * have applied.
   */
  async replayDeadLetter(id: string): Promise<ReplayResult> {
    const letter = await this.repository.getDeadLetter(id);
    if (!letter) throw new DeadLetterNotFoundError(id);
    if (this.orchestrator) {
      const dispatch = await this.orchestrator.deadLetters.replay(id);
      return { outcome: 'dispatched', dispatch: toJsonValue(dispatch) };
    }
    const envelope = letter.envelope;
    assertEnvelope(envelope); // `{ raw }` evidence of a malformed message cannot be sent anywhere
    const now = this.#clock.now();
    const outboxId = uuidv7(now);
    await this.repository.stageOutbox([{ id: outboxId, envelope, availableAt: new Date(now) }]);
    await this.repository.deleteDeadLetter(id);
    return { outcome: 'queued', outboxId, messageId: envelope.messageId, type: envelope.type };
  }

  /** Removes a dead letter for good. */
  async discardDeadLetter(id: string): Promise<{ readonly discarded: true }> {
    if (!(await this.repository.deleteDeadLetter(id))) throw new DeadLetterNotFoundError(id);
    return { discarded: true };
  }

  /**
   * Resumes the compensation of an instance in `compensation_failed`, from the step that failed. Runs
   * the saga's compensation code, so it needs an orchestrator.
   */
  async retryCompensation(id: string): Promise<{ readonly steps: number; readonly error: unknown; readonly instance: InstanceSummary | null }> {
    const record = await this.repository.findById(id);
    if (!record) throw new NotFoundError(id);
    if (record.status !== Status.CompensationFailed) throw new NotCompensationFailedError(id, record.status);
    const orchestrator = this.orchestrator;
    if (!orchestrator) throw new OrchestratorRequiredError('retrying a compensation');
    if (!orchestrator.saga(record.sagaName)) throw new UnknownSagaError(record.sagaName, this.sagaNames);
    const run = await orchestrator.retryCompensation(record.sagaName, record.correlationId);
    return { steps: run.steps, error: run.error ? toJsonValue(run.error) : null, instance: run.last && toSummary(run.last) };
  }

  /** A change feed over this store (see `ChangeFeed`); share one among many listeners. */
  changeFeed(options: Omit<ChangeFeedOptions, 'repository'> = {}): ChangeFeed {
    return new ChangeFeed({ clock: this.#clock, ...options, repository: this.repository });
  }

  /**
   * Instance changes and counts as they happen, until `signal` aborts.
   *
   * @example
   * for await (const event of ops.watch({ signal })) if (event.type === 'instance') console.log(event.instance.state);
   */
  async *watch(options: Omit<ChangeFeedOptions, 'repository'> & { readonly signal?: AbortSignal } = {}): AsyncGenerator<FeedEvent> {
    const { signal, ...feedOptions } = options;
    const feed = this.changeFeed(feedOptions);
    const queue: FeedEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = feed.subscribe((event) => {
      queue.push(event);
      wake?.();
    });
    const aborted = () => wake?.();
    signal?.addEventListener('abort', aborted);
    try {
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', aborted);
      unsubscribe();
      await feed.close();
    }
  }
}
