import { describe, expect, it } from 'vitest';
import { InMemorySagaRepository } from '../../src/index.ts';
import { runEvolution } from '../../examples/evolution.ts';

describe('examples/evolution.ts', () => {
  it('the gate refuses version 2 without migrations; with them, lazy and eager migration carry every instance over', async () => {
    const repository = new InMemorySagaRepository();
    const lines: string[] = [];
    const { refused, passed, instances, error } = await runEvolution((l) => lines.push(l), repository);
    expect(refused.ok).toBe(false);
    expect(refused.sagas[0]!.problems.map((p) => [p.kind, p.count])).toEqual([
      ['unknown-state', 2],
      ['invalid-data', 3],
      ['missing-compensation', 1],
    ]);
    expect(passed.ok).toBe(true);
    const [trial, billing, active] = instances;
    // Lazily migrated (Trial -> Evaluating), then the old event name routed as TrialOver: a basic plan pays by card.
    expect(trial).toMatchObject({ state: 'CardPayment', dataVersion: 2, data: { plan: 'basic', cents: 999 } });
    // Split by plan while in Billing, then charged under version 2.
    expect(billing).toMatchObject({ state: 'Active', data: { cents: 4950 }, compensation: [{ name: 'refund', args: { price: 49.5 } }] });
    // The dropped step is gone from the stack.
    expect(active!.compensation.map((c) => c.name)).toEqual(['refund']);
    expect((error as { code?: string }).code).toBe('SAGA_VERSION_NEWER');
    expect(lines).toContain('instances migrate: 2 migrated');
    const history = await repository.history(trial!.id);
    expect(history.map((h) => h.eventType)).toEqual(['Subscribed', 'sagaflow.migrated', 'TrialOver']);
  });
});
