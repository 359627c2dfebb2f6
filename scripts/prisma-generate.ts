/**
 * Generates the Prisma client into src/prisma/generated (gitignored) with the project's own Prisma CLI.
 * Run by `npm run prisma:generate`, and first thing by `test`, `build`, `demo` and `bench`. Skips the work
 * when neither the schema nor the Prisma version changed since the last run.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { modelsOnly } from '../src/prisma/package-files.ts';

const root = new URL('..', import.meta.url).pathname;
const output = join(root, 'src/prisma/generated');
const stampFile = join(output, '.schema-hash');
const require = createRequire(import.meta.url);
const prismaPackage = require.resolve('prisma/package.json');
const { version } = JSON.parse(readFileSync(prismaPackage, 'utf8')) as { version: string };

// The models-only file the package ships (prisma/sagaflow.prisma) follows schema.prisma on every run.
const schemaText = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8');
const modelsFile = join(root, 'prisma/sagaflow.prisma');
const models = modelsOnly(schemaText);
if (!existsSync(modelsFile) || readFileSync(modelsFile, 'utf8') !== models) writeFileSync(modelsFile, models);

const stamp = createHash('sha256')
  .update(version)
  .update(readFileSync(join(root, 'prisma/schema.prisma')))
  .digest('hex');
if (!process.argv.includes('--force') && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  process.exit(0);
}

const env = { ...process.env };
// The Prisma CLI looks for its native schema engine at start-up and downloads it when missing, which fails
// without internet. `generate` never runs that engine, so any executable satisfies the check. Set only when
// the caller did not, so a real engine (or the download, with internet) is still used where there is one.
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const cli = join(prismaPackage, '..', 'build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], { cwd: root, env, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(stampFile, stamp);
