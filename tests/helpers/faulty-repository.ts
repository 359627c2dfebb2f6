/**
 * Repository wrappers that inject the failures a real deployment sees: a process dying between two
 * writes, and writers interleaving between read and write.
 */
import type { ReadOptions, SagaCommit, SagaRepository } from '../../src/repository/types.ts';

export class SimulatedCrash extends Error {}

/**
 * Delegates to `inner` until `crashAt(commit, index)` says so; from then on every call throws, as a
 * dead process would. The underlying store keeps what was committed before the crash.
 */
export function crashingRepository(
  inner: SagaRepository,
  crashAt: (commit: SagaCommit, index: number) => boolean,
): SagaRepository & { readonly crashed: boolean } {
  let crashed = false;
  let commits = 0;
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (crashed ? Promise.reject(new SimulatedCrash('process is dead')) : fn());
  const guarded = delegate(inner, (_name, call) => guard(call));
  return {
    ...guarded,
    get crashed() {
      return crashed;
    },
    commit: (commit) =>
      guard(async () => {
        if (crashAt(commit, commits++)) {
          crashed = true;
          throw new SimulatedCrash(`crashed before commit #${commits - 1}`);
        }
        return inner.commit(commit);
      }),
  };
}

/** Every method of the port, forwarded to `inner` through `wrap`. */
export function delegate(
  inner: SagaRepository,
  wrap: (name: string, call: () => Promise<unknown>) => Promise<unknown> = (_name, call) => call(),
): SagaRepository {
  const methods = [
    'findByCorrelation', 'findById', 'commit', 'list', 'countByState', 'history', 'stageOutbox', 'claimOutbox',
    'markSent', 'outboxSize', 'addDeadLetter', 'getDeadLetter', 'listDeadLetters', 'countDeadLetters', 'updateDeadLetter', 'deleteDeadLetter',
  ] as const satisfies readonly (keyof SagaRepository)[];
  // A wrapper caches, and assumes, whatever its inner store does.
  const out: Record<string, unknown> = { cachesReads: inner.cachesReads ?? false, assumesAbsence: inner.assumesAbsence ?? false };
  for (const name of methods) {
    const fn = inner[name] as (...args: unknown[]) => Promise<unknown>;
    out[name] = (...args: unknown[]) => wrap(name, () => fn.apply(inner, args));
  }
  return out as unknown as SagaRepository;
}

/**
 * Yields to the event loop between every read and write, so that concurrent writers really interleave
 * (the in-memory store otherwise answers within one turn), and counts conflicts.
 */
export function interleavingRepository(inner: SagaRepository): SagaRepository & { conflicts: number; commits: number } {
  const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
  const wrapper = {
    ...delegate(inner),
    conflicts: 0,
    commits: 0,
    findByCorrelation: async (s: string, c: string, o?: ReadOptions) => {
      const r = await inner.findByCorrelation(s, c, o);
      await pause();
      return r;
    },
    findById: (id: string) => inner.findById(id),
    commit: async (commit: SagaCommit) => {
      await pause();
      try {
        await inner.commit(commit);
        wrapper.commits++;
      } catch (error) {
        wrapper.conflicts++;
        throw error;
      }
    },
  };
  return wrapper;
}
