/**
 * @module bench/in-memory
 * The order saga on the in-memory repository, and XState's pure `transition()` over the same machine
 * and the same events, measured in one run.
 */
import { performance } from 'node:perf_hooks';
import { transition, type AnyMachineSnapshot } from 'xstate';
import { InMemorySagaRepository, InProcessBus, SagaOrchestrator } from '../src/index.ts';
import { OrderSaga } from '../examples/order-saga.ts';
import { orderEvents } from './order-workload.ts';
import { result, type BenchResult } from './report.ts';

async function runOrders(orchestrator: SagaOrchestrator, from: number, count: number, inFlight: number): Promise<void> {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const id = `o-${next++}`;
      for (const [event, payload] of orderEvents(id)) await orchestrator.publish(event as never, payload as never);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Events per second through the whole orchestrator: validation, load, actions, data check, conditional write, history. */
export async function benchInMemoryOrchestrator(orders: number, inFlight: number, consumers = false): Promise<BenchResult> {
  // With consumers, each command the saga sends is staged in the outbox, published, then marked sent.
  const bus = new InProcessBus();
  if (consumers) for (const type of ['ProcessPayment', 'ReserveInventory', 'CreateShipment']) bus.subscribe(type, () => {});
  const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository: new InMemorySagaRepository(), bus });
  await runOrders(orchestrator, 0, Math.min(2_000, orders), inFlight); // warm-up: JIT and inline caches
  const start = performance.now();
  await runOrders(orchestrator, 1_000_000, orders, inFlight);
  await orchestrator.idle();
  const ms = performance.now() - start;
  await orchestrator.close();
  const label = consumers ? ', commands consumed via outbox' : '';
  return result(`in-memory orchestrator, order saga (${inFlight} in flight)${label}`, orders * 4, ms, { orders, in_flight: inFlight });
}

/** XState's pure `transition()` over `OrderSaga.machine` for the same event sequence. */
export function benchXStateTransition(orders: number): BenchResult {
  const machine = OrderSaga.machine;
  const events = orderEvents('o-1').map(([e, payload]) => ({ type: e.name, payload }));
  const initial = machine.resolveState({ value: 'Initial', context: { data: OrderSaga.definition.initialData() } });
  const loop = (n: number) => {
    let final = '';
    for (let i = 0; i < n; i++) {
      let snapshot: AnyMachineSnapshot = initial;
      for (const event of events) [snapshot] = transition(machine, snapshot, event);
      final = String(snapshot.value);
    }
    if (final !== 'Completed') throw new Error(`the machine ended in ${final}`);
  };
  loop(Math.min(2_000, orders));
  const start = performance.now();
  loop(orders);
  const ms = performance.now() - start;
  return result('xstate transition(), same machine and events', orders * 4, ms, { orders });
}
