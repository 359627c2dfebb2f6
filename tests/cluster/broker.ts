/**
 * @module tests/cluster/broker
 * The local RabbitMQ node, driven through `rabbitmqctl` (the test runs as root): restart its
 * application, list the queues of one exchange with their depths, delete them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';

const run = promisify(execFile);

async function ctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/** Stops the broker's application (every connection drops; queues stay on disk). */
export async function stopBroker(): Promise<void> {
  await ctl('stop_app');
}

/** Starts the broker's application; harmless when it runs already. */
export async function startBroker(): Promise<void> {
  await ctl('start_app');
  await ctl('await_startup');
}

/** Queues whose name starts with `prefix`, with the messages in them (ready and unacknowledged). */
export async function queuesOf(prefix: string): Promise<Map<string, number>> {
  const out = await ctl('list_queues', '-q', '--no-table-headers', 'name', 'messages');
  const queues = new Map<string, number>();
  for (const line of out.split('\n')) {
    const [name, messages] = line.trim().split(/\s+/);
    if (name?.startsWith(prefix)) queues.set(name, Number(messages ?? 0));
  }
  return queues;
}

/**
 * Deletes every queue named `<exchange>.…` (as `rabbitmqctl list_queues` finds them) and the exchanges
 * the transports declared, over one AMQP connection: a `rabbitmqctl delete_queue` per queue would start
 * an Erlang VM each time, about half a second apiece.
 */
export async function deleteTopologyOf(exchange: string, url: string): Promise<number> {
  const queues = await queuesOf(`${exchange}.`);
  const model = await connect(url);
  try {
    const channel = await model.createChannel();
    for (const name of queues.keys()) await channel.deleteQueue(name);
    for (const name of [exchange, `${exchange}.orders.dlx`, `${exchange}.order-services.dlx`, `${exchange}.orders.members`, `${exchange}.order-services.members`]) await channel.deleteExchange(name);
  } finally {
    await model.close();
  }
  return queues.size;
}
