/**
 * Shared by the RabbitMQ tests: unique names per test file (so parallel runs never share a queue),
 * an admin channel to look at queues, and clean-up of everything a transport declared.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { deadLetterExchange, deadLetterQueue, membersExchange, partitionQueue, type TopologyNames } from '../../src/rabbitmq/index.ts';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueExchange(label: string): string {
  return `sagaflow-test-${label}-${randomBytes(4).toString('hex')}`;
}

export interface Admin {
  readonly channel: Channel;
  readonly model: ChannelModel;
  close(): Promise<void>;
}

/** A plain amqplib connection for the test's own looking and cleaning. Fails (not skips) without a broker. */
export async function admin(): Promise<Admin> {
  const model = await connect(AMQP_URL);
  const channel = await model.createChannel();
  return { model, channel, close: () => model.close() };
}

/** Messages waiting in a queue (ready, not unacknowledged). */
export async function depth(channel: Channel, queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}

/** Deletes the exchange and, for each service, its partition queues and dead-letter pair. */
export async function deleteTopology(exchange: string, services: readonly string[], partitions: number): Promise<void> {
  const { channel, close } = await admin();
  for (const service of services) {
    const names: TopologyNames = { exchange, service, partitions };
    for (let p = 0; p < partitions; p++) await channel.deleteQueue(partitionQueue(names, p));
    await channel.deleteQueue(deadLetterQueue(names));
    await channel.deleteExchange(deadLetterExchange(names));
    await channel.deleteExchange(membersExchange(names)); // declared only with `rebalance`; deleting none is fine
  }
  await channel.deleteExchange(exchange);
  await close();
}

/** Polls until `check` holds, or fails the test with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Closes the broker side of the connections named `name`, as a broker restart or network cut would. */
export async function killConnections(name: string): Promise<number> {
  const run = promisify(execFile);
  const { stdout } = await run('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'client_properties']);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`"${name}"`))
    .map((line) => line.split('\t')[0]!);
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'sagaflow test: simulated connection loss']);
  return pids.length;
}
