/**
 * @module evolution/check-report
 * The deploy gate over a whole store: every live instance of every saga through `instanceProblems`,
 * summed up per saga and kind of problem with a few example instances. Reads only; `sagaflow check`
 * prints the report and the orchestrator runs it at start-up (`startupCheck`).
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { SagaStatus, type SagaInstanceRecord, type SagaRepository } from '../repository/types.ts';
import { instanceProblems, type InstanceProblemKind } from './check-instance.ts';

const LIVE = [SagaStatus.Active, SagaStatus.Compensating, SagaStatus.CompensationFailed];
/** Example instances kept per kind of problem. */
const EXAMPLES = 5;

export interface ProblemSummary {
  readonly kind: InstanceProblemKind;
  readonly count: number;
  readonly examples: readonly { readonly id: string; readonly correlationId: string; readonly detail: string }[];
}

export interface SagaCheck {
  readonly saga: string;
  /** The loaded definition's version. */
  readonly version: number;
  /** Live instances looked at. */
  readonly live: number;
  /** Live instances by the definition version that last wrote them. */
  readonly byVersion: Readonly<Record<number, number>>;
  /** Live instances with at least one problem. */
  readonly stranded: number;
  readonly problems: readonly ProblemSummary[];
}

export interface CheckReport {
  /** True when no live instance would be stranded. */
  readonly ok: boolean;
  readonly sagas: readonly SagaCheck[];
}

/** Accumulates one saga's check, instance by instance (pure). */
export class SagaCheckBuilder {
  readonly #saga: CompiledSaga;
  readonly #now: Date;
  #live = 0;
  #stranded = 0;
  readonly #byVersion = new Map<number, number>();
  readonly #problems = new Map<InstanceProblemKind, { count: number; examples: ProblemSummary['examples'][number][] }>();

  constructor(saga: CompiledSaga, now: Date) {
    this.#saga = saga;
    this.#now = now;
  }

  add(record: SagaInstanceRecord): void {
    this.#live++;
    const v = record.dataVersion ?? 1;
    this.#byVersion.set(v, (this.#byVersion.get(v) ?? 0) + 1);
    const problems = instanceProblems(this.#saga, record, this.#now);
    if (problems.length) this.#stranded++;
    for (const p of problems) {
      const entry = this.#problems.get(p.kind) ?? { count: 0, examples: [] };
      entry.count++;
      if (entry.examples.length < EXAMPLES) entry.examples.push({ id: record.id, correlationId: record.correlationId, detail: p.detail });
      this.#problems.set(p.kind, entry);
    }
  }

  build(): SagaCheck {
    return {
      saga: this.#saga.name,
      version: this.#saga.definition.dataVersion,
      live: this.#live,
      byVersion: Object.fromEntries([...this.#byVersion].sort(([a], [b]) => a - b)),
      stranded: this.#stranded,
      problems: [...this.#problems].map(([kind, p]) => ({ kind, count: p.count, examples: p.examples })),
    };
  }
}

/**
 * Checks every live instance of `sagas` in `repository`.
 *
 * @example
 * const report = await checkSagas([OrderSaga.compiled], repository);
 * if (!report.ok) process.exitCode = 1;
 */
export async function checkSagas(sagas: readonly CompiledSaga[], repository: SagaRepository, now = new Date()): Promise<CheckReport> {
  const out: SagaCheck[] = [];
  for (const saga of sagas) {
    const builder = new SagaCheckBuilder(saga, now);
    let cursor: string | undefined;
    do {
      const page = await repository.list({ sagaName: saga.name, status: LIVE, order: 'asc', limit: 500, ...(cursor !== undefined && { cursor }) });
      for (const record of page.items) builder.add(record);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    out.push(builder.build());
  }
  return { ok: out.every((s) => s.stranded === 0), sagas: out };
}

/** One line per stranded saga and kind, for logs and error messages. */
export function summarize(report: CheckReport): string {
  const parts = report.sagas.flatMap((s) => s.problems.map((p) => `${s.saga}: ${p.count} ${p.kind} (e.g. ${p.examples[0]?.correlationId ?? '?'})`));
  return parts.join('; ') || 'none';
}
