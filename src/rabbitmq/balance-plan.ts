/**
 * @module rabbitmq/balance-plan
 * What a member should change, given what it heard: a pure function, so the hand-over rules can be read
 * (and tested) apart from the channel work. The spread is `assignPartitions` (the same as Redis and
 * NATS); a partition this member should have is taken only once no other live member says it holds
 * it, and the old holder says so only after its messages of that partition in flight were acknowledged.
 */
import { partitionsOf } from '../partitioning/assignment.ts';
import type { MembershipView } from './membership.ts';

export interface BalancePlan {
  /** Partitions to cancel the consumer of, then drain. */
  readonly stop: number[];
  /** Partitions to start consuming now. */
  readonly start: number[];
}

/**
 * @example
 * planBalance({ member: 'a', partitions: 4, consumed: [0, 1, 2, 3], view: { members: ['a', 'b'], heldByOthers: new Map() }, warm: true });
 * // { stop: [the two that go to b], start: [] }
 */
export function planBalance(input: {
  readonly member: string;
  readonly partitions: number;
  readonly consumed: Iterable<number>;
  readonly view: MembershipView;
  /** False until the member has listened long enough to have heard every live member. */
  readonly warm: boolean;
}): BalancePlan {
  const wanted = new Set(input.warm ? partitionsOf(input.member, input.view.members, input.partitions) : []);
  const consumed = new Set(input.consumed);
  const stop = [...consumed].filter((p) => !wanted.has(p)).sort((a, b) => a - b);
  const start = [...wanted].filter((p) => !consumed.has(p) && !input.view.heldByOthers.has(p)).sort((a, b) => a - b);
  return { stop, start };
}
