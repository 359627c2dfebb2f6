/**
 * @module nats/topology
 * Declares the streams and the service's durable consumers, idempotently, at every start: an existing
 * stream or consumer is left as it is (so every process may start first). A consumer exists from the
 * first start of its service on, and gets every message published from then on.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { consumerName, deadStream, type NatsNames } from './names.ts';

const NANOS_PER_MS = 1_000_000;

/**
 * Limits retention, not interest: after a server restart the stream accepts messages a moment before
 * its consumers are restored, and an interest stream drops what arrives with no consumer to keep it for
 * (seen here: messages buffered by clients during the outage, acknowledged and gone). Messages are kept
 * for `maxAgeMs` instead; each consumer tracks its own position.
 */
export async function declareStreams(jsm: JetStreamManager, names: NatsNames, maxAgeMs: number): Promise<void> {
  const { RetentionPolicy, StorageType } = await import('@nats-io/jetstream');
  await ensure(
    () => jsm.streams.info(names.stream),
    () =>
      jsm.streams.add({
        name: names.stream,
        subjects: [`${names.stream}.>`],
        retention: RetentionPolicy.Limits,
        max_age: maxAgeMs * NANOS_PER_MS,
        storage: StorageType.File,
      }),
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
          deliver_policy: DeliverPolicy.New, // as a queue bound now: what was published before is not this service's
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
