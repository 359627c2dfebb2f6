/**
 * The pure part of `rebalance`: what a member changes given what it heard, and how beats are read.
 */
import { describe, expect, it } from 'vitest';
import { partitionsOf } from '../../src/partitioning/assignment.ts';
import { planBalance } from '../../src/rabbitmq/balance-plan.ts';
import { Membership } from '../../src/rabbitmq/membership.ts';

const names = { exchange: 'x', service: 'workers', partitions: 8 };

describe('planBalance', () => {
  it('takes nothing before the member has listened long enough to have heard everyone', () => {
    expect(planBalance({ member: 'a', partitions: 8, consumed: [], view: { members: ['a'], heldByOthers: new Map() }, warm: false })).toEqual({ stop: [], start: [] });
  });

  it('gives up what the spread moved to a new member, and waits for partitions another member still holds', () => {
    const members = ['a', 'b'];
    const mine = partitionsOf('a', members, 8);
    const theirs = partitionsOf('b', members, 8);
    // a consumes everything; b joined and claims nothing yet.
    const giving = planBalance({ member: 'a', partitions: 8, consumed: [0, 1, 2, 3, 4, 5, 6, 7], view: { members, heldByOthers: new Map() }, warm: true });
    expect(giving).toEqual({ stop: theirs, start: [] });
    // b, while a still claims one of b's partitions (draining it), takes only the others.
    const held = new Map([[theirs[0]!, 'a']]);
    const taking = planBalance({ member: 'b', partitions: 8, consumed: [], view: { members, heldByOthers: held }, warm: true });
    expect(taking).toEqual({ stop: [], start: theirs.slice(1) });
    expect(mine.length + theirs.length).toBe(8);
  });
});

describe('Membership', () => {
  it('counts members heard within the TTL, forgets one that says it leaves, and ignores what is not a beat', () => {
    const m = new Membership(names, 'a', 1_000);
    m.heard(JSON.stringify({ member: 'b', holds: [1, 2, 99, -1, 'x'] }), 10_000);
    m.heard(JSON.stringify({ member: 'c', holds: [3] }), 10_000);
    m.heard('{not json', 10_000);
    m.heard(JSON.stringify({ member: 42, holds: [4] }), 10_000);
    m.heard(JSON.stringify({ member: 'a', holds: [5] }), 10_000); // its own beat, echoed by the fanout
    const view = m.view(10_500);
    expect([...view.members].sort()).toEqual(['a', 'b', 'c']);
    expect([...view.heldByOthers.entries()].sort()).toEqual([[1, 'b'], [2, 'b'], [3, 'c']]);
    m.heard(JSON.stringify({ member: 'c', holds: [], leaving: true }), 10_600);
    expect([...m.view(10_700).members].sort()).toEqual(['a', 'b']);
    expect(m.view(11_100).members).toEqual(['a']); // b not heard from for more than the TTL
  });
});
