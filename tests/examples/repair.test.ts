import { describe, expect, it } from 'vitest';
import { runRepairExample } from '../../examples/repair.ts';

describe('examples/repair.ts', () => {
  it('pays one stuck order by hand and cancels the other, each recorded in the audit trail', async () => {
    const lines: string[] = [];
    const { repository, trail } = await runRepairExample({ log: (l) => lines.push(l) });
    expect(lines.slice(0, 2)).toEqual(['phone-1: AwaitingPayment -> AwaitingInventory', 'withdrawn-1: active -> faulted']);
    expect(trail.map((e) => [e.action, e.correlationId, e.principal])).toEqual([
      ['cancel', 'withdrawn-1', 'ops:ana'],
      ['send', 'phone-1', 'ops:ana'],
    ]);
    expect((await repository.findByCorrelation('order', 'withdrawn-1'))?.error).toMatchObject({ cancelled: true, message: 'cancelled by ops:ana: customer withdrew' });
  });
});
