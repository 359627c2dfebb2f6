/**
 * @module nats/topology
 * Declares the streams and the service's durable consumers, idempotently, at every start: an existing
 * stream or consumer is left as it is (so every process may start first). A consumer exists from the
 * first start of its service on, and with interest retention that is what keeps messages for it.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { consumerName, deadStream, type NatsNames } from './names.ts';

const NANOS_PER_MS = 1_000_000;

export async function declareStreams(jsm: JetStreamManager, names: NatsNames): Promise<void> {
  const { RetentionPolicy, StorageType } = await import('@nats-io/jetstream');
  await ensure(
    () => jsm.streams.info(names.stream),
    () => jsm.streams.add({ name: names.stream, subjects: [`${names.stream}.>`], retention: RetentionPolicy.Interest, storage: StorageType.File }),
  );
  await ensure(
    () => jsm.streams.info(deadStream(names)),
    () => jsm.streams.add({ name: deadStream(names), subjects: [`${deadStream(names)}.>`], retention: RetentionPolicy.Limits, storage: StorageType.File }),
  );
}

export async function declareConsumers(jsm: JetStreamManager, names: NatsNames, ackWaitMs: number): Promise<void> {
  const { AckPolicy, DeliverPolicy } = await import('@nats-io/jetstream');
  for (let p = 0; p < names.partitions; p++) {
    const durable = consumerName(names, p);
    await ensure(
      () => jsm.consumers.info(names.stream, durable),
      () =>
        jsm.consumers.add(names.stream, {
          durable_name: durable,
          filter_subject: `${names.stream}.${p}.>`,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: ackWaitMs * NANOS_PER_MS,
          max_deliver: -1, // the transport counts deliveries and dead-letters itself
          max_ack_pending: 10_000,
        }),
    );
  }
}

/** Looks the object up; creates it when it is not there. Two processes creating it at once is harmless. */
async function ensure(lookup: () => Promise<unknown>, create: () => Promise<unknown>): Promise<void> {
  try {
    await lookup();
  } catch {
    await create().catch(async (error: unknown) => {
      await lookup().catch(() => {
        throw error;
      });
    });
  }
}
