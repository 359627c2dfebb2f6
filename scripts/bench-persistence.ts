/**
 * Raw `pg` baseline vs PrismaSagaRepository commits (no orchestrator, no reads), with and without group
 * commit, side by side in one run. The orchestrator-level figures are `npm run bench -- --only postgres`.
 *   DATABASE_URL=postgres://… npx tsx scripts/bench-persistence.ts [durationMs]
 */
import { measureRawPgBaseline } from '../bench/raw-pg-baseline.ts';
import { measureRepositoryCommits } from '../bench/prisma-repository.ts';

const connectionString = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const durationMs = Number(process.argv[2] ?? 5000);
const rows: Record<string, unknown>[] = [];
for (const concurrency of [1, 16]) {
  const raw = await measureRawPgBaseline({ connectionString, concurrency, durationMs });
  rows.push({ what: 'raw pg UPDATE', ...raw });
  for (const via of ['adapter', 'client', 'pg'] as const) {
    for (const groupCommit of [false, true]) {
      const repo = await measureRepositoryCommits({ connectionString, concurrency, durationMs, via, groupCommit });
      const vs_raw = Math.round((repo.ops_per_sec / raw.ops_per_sec) * 100) / 100;
      rows.push({ what: `repository commit via ${via}${groupCommit ? ', group commit' : ''}`, ...repo, vs_raw });
    }
  }
}
if (process.argv.includes('--pglite')) {
  rows.push({ what: 'repository commit (PGlite)', ...(await measureRepositoryCommits({ concurrency: 1, durationMs })) });
}
console.table(rows);
