/** The pure comparisons behind replay: a recorded journal row against what the new definition did. */
import { describe, expect, it } from 'vitest';
import { compareSchedules, compareStack, compareStep, sameJson, type StepRecord } from '../../src/replay/compare-step.ts';

const paid: StepRecord = {
  type: 'PaymentProcessed',
  stateBefore: 'AwaitingPayment',
  stateAfter: 'AwaitingInventory',
  payload: { orderId: 'o-1' },
  sent: [{ kind: 'send', type: 'ReserveInventory' }],
};
const step = (name: string, args: unknown): StepRecord => ({
  type: 'sagaflow.compensation.step',
  stateBefore: 'Failed',
  stateAfter: 'Failed',
  payload: { step: name, args },
  sent: [{ kind: 'send', type: 'RefundPayment' }],
});

describe('compareStep', () => {
  it('finds nothing when the replay wrote the same row (message ids and payload key order aside)', () => {
    expect(compareStep(1, paid, { kind: 'applied', step: { ...paid, payload: { orderId: 'o-1' } } })).toBeNull();
    expect(compareStep(4, step('refund', { a: 1, b: 2 }), { kind: 'applied', step: { ...step('refund', { b: 2, a: 1 }), sent: [] } })).toBeNull();
  });

  it('reports another state after the event', () => {
    expect(compareStep(1, paid, { kind: 'applied', step: { ...paid, stateAfter: 'AwaitingShipment' } })).toMatchObject({
      kind: 'state',
      index: 1,
      type: 'PaymentProcessed',
      expected: 'AwaitingInventory',
      actual: 'AwaitingShipment',
    });
  });

  it('reports other messages sent, in kind, type or number', () => {
    const other = compareStep(1, paid, { kind: 'applied', step: { ...paid, sent: [{ kind: 'publish', type: 'ReserveInventory' }] } });
    expect(other).toMatchObject({ kind: 'messages', expected: ['send ReserveInventory'], actual: ['publish ReserveInventory'] });
    expect(compareStep(1, paid, { kind: 'applied', step: { ...paid, sent: [] } })).toMatchObject({ kind: 'messages', actual: [] });
  });

  it('reports an event refused: no longer handled, ignored, or failing', () => {
    expect(compareStep(3, paid, { kind: 'refused', reason: 'unhandled', state: 'AwaitingShipment', message: 'no handler' })).toMatchObject({
      kind: 'unhandled',
      actual: 'AwaitingShipment',
    });
    expect(compareStep(3, paid, { kind: 'refused', reason: 'ignored', state: 'X', message: 'ignored' })!.kind).toBe('ignored');
    expect(compareStep(3, paid, { kind: 'refused', reason: 'error', message: 'boom', code: 'SAGA_ACTION_FAILED' })).toMatchObject({
      kind: 'failed',
      actual: 'SAGA_ACTION_FAILED',
    });
    expect(compareStep(3, paid, { kind: 'refused', reason: 'schedule', message: 'due later' })!.kind).toBe('schedule');
  });

  it('reports another compensation step, none, or another kind of row', () => {
    expect(compareStep(5, step('refund', { tx: 1 }), { kind: 'applied', step: step('void', { tx: 1 }) })).toMatchObject({
      kind: 'compensation',
      expected: { step: 'refund' },
      actual: { step: 'void' },
    });
    expect(compareStep(5, step('refund', { tx: 1 }), { kind: 'applied', step: step('refund', { tx: 2 }) })!.kind).toBe('compensation');
    expect(compareStep(5, step('refund', {}), { kind: 'missing' })).toMatchObject({ kind: 'compensation', actual: null });
    expect(compareStep(2, paid, { kind: 'applied', step: step('refund', {}) })).toMatchObject({ kind: 'compensation', actual: 'sagaflow.compensation.step' });
    expect(compareStep(2, paid, { kind: 'missing' })!.kind).toBe('extra');
  });

  it('compares the messages of compensation steps only when their handlers ran', () => {
    const silent = { kind: 'applied' as const, step: { ...step('refund', {}), sent: [] } };
    expect(compareStep(5, step('refund', {}), silent)).toBeNull();
    expect(compareStep(5, step('refund', {}), silent, { compensationMessages: true })!.kind).toBe('messages');
  });
});

describe('compareStack', () => {
  const refund = { name: 'refund', args: { tx: 't' } };
  const release = { name: 'release', args: { r: 'r' } };
  const voided = { name: 'void', args: { tx: 't' } };
  const rows = [{ type: 'Created' }, { type: 'Paid' }, { type: 'Reserved' }, { type: 'Shipped' }];

  it('finds nothing when the stacks agree', () => {
    expect(compareStack([refund, release], [{ ...refund }, release], [[], [refund], [refund, release], [refund, release]], rows, 0)).toBeNull();
  });

  it('puts another registered step at the row where the replay registered it', () => {
    const d = compareStack([refund, release], [voided, release], [[], [voided], [voided, release], [voided, release]], rows, 0);
    expect(d).toMatchObject({ kind: 'compensation', index: 1, type: 'Paid', expected: [refund, release], actual: [voided, release] });
  });

  it('puts a step no longer registered at the last row', () => {
    expect(compareStack([refund, release], [refund], [[], [refund], [refund], [refund]], rows, 0)).toMatchObject({ index: 3, type: 'Shipped' });
  });
});

describe('compareSchedules and sameJson', () => {
  it('compares pending schedules by key, type and due time, in any order', () => {
    const a = { key: 'timeout:Waiting', type: 'TimedOut', dueAt: '2025-01-01T00:15:00.000Z' };
    const b = { key: 'Remind', type: 'Remind', dueAt: '2025-01-01T00:01:00.000Z' };
    expect(compareSchedules([a, b], [b, a], { index: 0, type: 'Placed' })).toBeNull();
    expect(compareSchedules([a, b], [b, { ...a, dueAt: '2025-01-01T00:30:00.000Z' }], { index: 0, type: 'Placed' })).toMatchObject({
      kind: 'schedule',
      index: 0,
    });
  });

  it('treats JSON with other key order or undefined members as equal', () => {
    expect(sameJson({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(true);
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
  });
});
