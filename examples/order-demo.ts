/**
 * `npm run demo`: the order saga end to end, persisted.
 *
 * Without DATABASE_URL it uses an embedded PostgreSQL (PGlite) in `.sagaflow/db`, which migrates itself;
 * with DATABASE_URL it uses that server (run `npm run migrate` once first). Each run adds four orders and
 * first lists what earlier runs left, so a second run shows the instances of the first.
 */
import { createPrismaRepository } from '../src/prisma/index.ts';
import { OrderSaga, runOrderDemo } from './order-saga.ts';

async function main(): Promise<void> {
  const repository = await createPrismaRepository();
  const where = process.env.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : 'embedded PGlite in .sagaflow/db';
  console.log(`Sagaflow order saga demo — persisted to ${where}\n`);
  try {
    const earlier = await repository.countByState(OrderSaga.name);
    if (earlier.length === 0) {
      console.log('No order sagas from earlier runs.\n');
    } else {
      console.log('Order sagas from earlier runs (state / status: count):');
      for (const c of earlier) console.log(`  ${c.state.padEnd(18)} ${c.status.padEnd(20)} ${c.count}`);
      const latest = await repository.list({ sagaName: OrderSaga.name, limit: 4 });
      console.log('Most recently updated:');
      for (const i of latest.items) console.log(`  ${i.correlationId.padEnd(20)} ${i.state.padEnd(10)} v${i.version}  ${i.updatedAt.toISOString()}`);
      console.log();
    }

    const runId = Date.now().toString(36);
    console.log(`This run (${runId}):`);
    const { instances, ledger } = await runOrderDemo({ repository, runId, log: (line) => console.log(line) });

    console.log('\nFinal instances of this run:');
    for (const i of instances) {
      if (!i) continue;
      const reason = i.data.failureReason ? `  (${i.data.failureReason})` : '';
      console.log(`  ${i.correlationId.padEnd(20)} ${i.state.padEnd(10)} ${i.status.padEnd(10)} v${i.version}${reason}`);
    }
    const last = instances.at(-1);
    if (last) {
      console.log(`\nHistory of ${last.correlationId}:`);
      for (const h of await repository.history(last.id)) {
        const step = (h.payload as { step?: string } | null)?.step;
        console.log(`  #${h.sequence} ${h.eventType.padEnd(28)} ${(h.stateBefore ?? '(new)').padEnd(18)} -> ${h.stateAfter}${step ? `  [${step}]` : ''}`);
      }
    }
    console.log(`\nCompensations: refunded ${ledger.refunds.join(', ') || '-'}; released ${ledger.releases.join(', ') || '-'}`);
  } finally {
    await repository.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
