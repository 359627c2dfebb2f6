/**
 * @module tests/fault/concurrent-delivery
 *
 * The same message delivered N times at once, from two orchestrators on separate repositories (separate
 * pools, as two processes would have): it must make exactly one transition, one history row and one
 * outbox row. Two messages per round: the `OrderSubmitted` that creates the instance (the insert race)
 * and the `PaymentCharged` that moves it (the update race).
 *
 * The transport is down (`HeldBus` refuses every publish), so what the commits staged stays in the
 * outbox where it can be counted.
 */
import pg from 'pg';
import { Chaos } from './chaos.ts';
import { createEnvelope, SagaOrchestrator, type Envelope, type MessageBus, type MessageHandler } from '../../src/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { EffectsStore } from './effects.ts';
import { ChargePayment, FAULT_SAGA, faultSaga, OrderSubmitted, PaymentCharged, ReserveStock } from './fault-saga.ts';

/** A transport that is down: subscriptions are kept, every publish is refused (so outbox rows stay). */
class HeldBus implements MessageBus {
  readonly refused: Envelope[] = [];
  subscribe(_type: string, _handler: MessageHandler): () => void {
    return () => {};
  }
  publish(envelope: Envelope): Promise<void> {
    this.refused.push(envelope);
    return Promise.reject(new Error(`transport down: '${envelope.type}' stays in the outbox`));
  }
}

export interface ConcurrentDeliveryReport {
  readonly rounds: number;
  /** Deliveries of each message (split between the two orchestrators). */
  readonly deliveries: number;
  /** Per round and message: outcomes `applied` (must be 1) and `duplicate` (the rest). */
  readonly applied: number;
  readonly duplicates: number;
  readonly other: number;
  /** What each message must leave once, and how many of it there are in all rounds. */
  readonly historyRowsPerMessage: readonly number[];
  readonly outboxRowsPerCommand: readonly number[];
  readonly problems: readonly string[];
}

/**
 * @example
 * const report = await runConcurrentDelivery({ rounds: 5, deliveries: 16 });
 * report.problems; // []
 */
export async function runConcurrentDelivery(options: { rounds: number; deliveries: number }): Promise<ConcurrentDeliveryReport> {
  const db = await createTestDatabase();
  const repositories: PrismaSagaRepository[] = [];
  const effects = new EffectsStore(db.url, 1);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const orchestrators: SagaOrchestrator[] = [];
    for (let k = 0; k < 2; k++) {
      const repository = await createPrismaRepository({ databaseUrl: db.url, poolSize: 8 });
      repositories.push(repository);
      orchestrators.push(
        new SagaOrchestrator({
          sagas: [faultSaga({ effects, chaos: Chaos.none })],
          repository,
          bus: new HeldBus(),
          relay: false,
          conflictRetry: { maxAttempts: 100, maxDelayMs: 20 },
          onError: () => {}, // the refused deliveries
        }),
      );
    }
    const problems: string[] = [];
    const historyRowsPerMessage: number[] = [];
    const outboxRowsPerCommand: number[] = [];
    let applied = 0;
    let duplicates = 0;
    let other = 0;
    for (let round = 0; round < options.rounds; round++) {
      const orderId = `hot-${round}`;
      const messages: Array<[Envelope, string]> = [
        [createEnvelope('event', OrderSubmitted.name, { orderId, amount: 10, plan: 'complete' }, { correlationId: orderId }), ChargePayment.name],
        [createEnvelope('event', PaymentCharged.name, { orderId, transactionId: `tx-${orderId}` }, { correlationId: orderId }), ReserveStock.name],
      ];
      for (const [envelope, command] of messages) {
        const results = await Promise.all(
          Array.from({ length: options.deliveries }, (_, i) => orchestrators[i % 2]!.receive(structuredClone(envelope))),
        );
        const outcomes = results.map((r) => (r.status === 'handled' ? r.result.outcomes[0]?.result : r.status));
        const count = (what: string) => outcomes.filter((o) => o === what).length;
        applied += count('applied');
        duplicates += count('duplicate');
        other += outcomes.length - count('applied') - count('duplicate');
        if (count('applied') !== 1) problems.push(`${orderId} ${envelope.type}: outcomes [${outcomes.join(', ')}]`);
        const { rows: history } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM sagaflow_history WHERE message_id = $1',
          [envelope.messageId],
        );
        historyRowsPerMessage.push(history[0]!.n);
        const { rows: outbox } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM sagaflow_outbox WHERE message_type = $1 AND envelope->>'correlationId' = $2`,
          [command, orderId],
        );
        outboxRowsPerCommand.push(outbox[0]!.n);
        if (history[0]!.n !== 1) problems.push(`${orderId} ${envelope.type}: ${history[0]!.n} history rows`);
        if (outbox[0]!.n !== 1) problems.push(`${orderId} ${envelope.type}: ${outbox[0]!.n} ${command} rows in the outbox`);
      }
      const { rows } = await client.query<{ version: number; history: number; instances: number }>(
        `SELECT max(i.version)::int AS version, count(h.*)::int AS history, count(DISTINCT i.id)::int AS instances
         FROM sagaflow_instances i LEFT JOIN sagaflow_history h ON h.instance_id = i.id
         WHERE i.saga_name = $1 AND i.correlation_id = $2`,
        [FAULT_SAGA, orderId],
      );
      const r = rows[0]!;
      if (r.instances !== 1 || r.version !== 2 || r.history !== 2) {
        problems.push(`${orderId}: ${r.instances} instance(s), version ${r.version}, ${r.history} history rows (expected 1, 2, 2)`);
      }
    }
    for (const o of orchestrators) await o.close();
    return { rounds: options.rounds, deliveries: options.deliveries, applied, duplicates, other, historyRowsPerMessage, outboxRowsPerCommand, problems };
  } finally {
    await client.end();
    await effects.close();
    await Promise.all(repositories.map((r) => r.close()));
    await db.drop();
  }
}
