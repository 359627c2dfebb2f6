#!/usr/bin/env bash
# What a team sees when it installs Sagaflow: packs the package (npm run build, npm pack), installs the
# tarball into fresh projects outside the repository, and checks them as a user would.
#
#   1. Core only (`npm install <tarball> zod`): node_modules must stay under PACK_CHECK_MAX_MB (25 MB);
#      the README quick start (examples/quick-start.ts) type-checks and runs against the installed package;
#      the CLI answers --version, refuses to read without a database, and explains what is missing
#      (a TypeScript sagas module without a loader, the Prisma peers).
#   2. With the Prisma peers: `sagaflow migrate` on a new PostgreSQL database, then createPrismaRepository,
#      a publish and a find through the installed package. Needs PostgreSQL (SAGAFLOW_TEST_PG_URL, default
#      postgres@127.0.0.1:5432, trust auth).
#
# Installs use npm's cache first (--prefer-offline): the peers' exact versions are the repository's own.
# Prints the sizes and cold import times; exits non-zero on any failure. Run by .ci/run after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
max_mb="${PACK_CHECK_MAX_MB:-25}"
admin_url="${SAGAFLOW_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
work="$(mktemp -d "${TMPDIR:-/tmp}/sagaflow-pack-check.XXXXXX")"
db_name="sagaflow_pack_$(date +%s)_$$"
cleanup() {
  node -e '
    const pg = require(process.argv[1]); const c = new pg.Client({ connectionString: process.argv[2] });
    c.connect().then(() => c.query(`DROP DATABASE IF EXISTS ${process.argv[3]} WITH (FORCE)`)).catch(() => {}).finally(() => c.end());
  ' "$repo/node_modules/pg" "$admin_url" "$db_name" || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "pack-check: FAIL: $*" >&2; exit 1; }
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }
npm_install() { npm install --no-audit --no-fund --prefer-offline --loglevel=error "$@" >/dev/null; }

echo "pack-check: building and packing"
npm run build --silent >/dev/null
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -1)"
echo "pack-check: $(basename "$tarball"), $(du -k "$tarball" | cut -f1) kB packed"

# ---------------------------------------------------------------------------------------------------------
# 1. Core only
core="$work/core"
mkdir -p "$core"
cd "$core"
echo '{ "name": "core-consumer", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm_install "$tarball" "zod@$(version_of zod)"
size_kb="$(du -sk node_modules | cut -f1)"
packages="$(( $(npm ls --all --parseable 2>/dev/null | wc -l) - 1 ))"
size_mb="$(( (size_kb + 1023) / 1024 ))"
echo "pack-check: core install: ${size_mb} MB in node_modules, ${packages} packages (limit ${max_mb} MB)"
[ "$size_kb" -le $(( max_mb * 1024 )) ] || fail "node_modules is ${size_mb} MB, more than ${max_mb} MB"
[ -f node_modules/sagaflow/dist/dashboard/assets/vendor/mermaid/mermaid.esm.min.mjs ] || fail "the package has no Mermaid bundle"
for absent in mermaid @prisma/client @electric-sql/pglite pg amqplib ioredis @nats-io hono; do
  [ ! -e "node_modules/$absent" ] || fail "the core install brought $absent"
done

# The README quick start, importing the installed package; type-checked with the repository's TypeScript.
sed "s#'../src/index.ts'#'sagaflow'#" "$repo/examples/quick-start.ts" > quick-start.ts
cat > main.ts <<'EOF'
import { quickStart } from './quick-start.js';
const order = await quickStart();
if (order?.state !== 'Cancelled' || order.status !== 'faulted') throw new Error(`unexpected ${order?.state} ${order?.status}`);
EOF
cat > tsconfig.json <<EOF
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "skipLibCheck": false, "outDir": "out", "typeRoots": ["$repo/node_modules/@types"], "types": ["node"]
  },
  "files": ["main.ts", "quick-start.ts"]
}
EOF
node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.json || fail "the quick start does not type-check against the installed package"
out="$(node out/main.js)" || fail "the quick start failed"
echo "pack-check: quick start printed: $out"
[[ "$out" == *"Cancelled faulted"* ]] || fail "the quick start printed '$out'"

# The CLI, installed as a user gets it.
cli="node_modules/.bin/sagaflow"
[ "$("$cli" --version)" = "$(node -p "require('$repo/package.json').version")" ] || fail "sagaflow --version"
set +e
list_err="$(env -u DATABASE_URL "$cli" list 2>&1 >/dev/null)"; list_code=$?
set -e
[ "$list_code" = 1 ] && [[ "$list_err" == *"SAGA_NO_DATABASE"* ]] || fail "sagaflow list without a database: $list_code $list_err"
[ ! -e .sagaflow ] || fail "sagaflow list created .sagaflow"
cp "$repo/examples/order-saga.ts" sagas.ts
set +e
ts_err="$(DATABASE_URL=postgresql://127.0.0.1:1/none "$cli" diagram order --sagas ./sagas.ts 2>&1)"
set -e
[[ "$ts_err" == *"node --import tsx"* ]] || fail "a .ts sagas module without a loader: $ts_err"
peer_err="$(node --input-type=module -e "
  const { createPrismaRepository } = await import('sagaflow/prisma');
  try { await createPrismaRepository({ databaseUrl: 'postgresql://127.0.0.1:1/none' }); } catch (e) { console.log(e.code, e.message); }
")"
[[ "$peer_err" == "SAGA_PEER_MISSING"*"npm install @prisma/client"* ]] || fail "sagaflow/prisma without its peers: $peer_err"
echo "pack-check: CLI --version, read without a database, .ts without a loader, missing peers: clear errors"

# sagaflow/client loads in a core install (no hono) and its built import graph is relative files only: no
# node:, zod, hono or Prisma import, so it bundles for browsers (tests/client/browser.test.ts runs it there).
client_graph="$(node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  import { dirname, resolve } from 'node:path';
  const client = await import('sagaflow/client');
  if (typeof client.createSagaflowClient !== 'function') throw new Error('no createSagaflowClient');
  const seen = new Set(); const bare = [];
  const walk = (file) => {
    if (seen.has(file)) return; seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:^|\\n)\\s*(?:import|export)[^'\"]*?from\\s*['\"]([^'\"]+)['\"]/g)) {
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec)); else bare.push(spec);
    }
  };
  walk(resolve('node_modules/sagaflow/dist/client/index.js'));
  console.log(seen.size + ' files' + (bare.length ? ', imports ' + bare.join(' ') : ''));
")" || fail "sagaflow/client does not load in a core install"
[[ "$client_graph" =~ ^[0-9]+\ files$ ]] || fail "sagaflow/client imports packages: $client_graph"
echo "pack-check: sagaflow/client: $client_graph, no package imports"

cold() {
  local module="$1" runs=() t
  for _ in 1 2 3 4 5; do
    t="$(node --input-type=module -e "const t = performance.now(); await import('$module'); console.log((performance.now() - t).toFixed(0))")"
    runs+=("$t")
  done
  echo "pack-check: cold import('$module'): ${runs[*]} ms"
}
cold sagaflow
cold sagaflow/prisma
cold sagaflow/client

# ---------------------------------------------------------------------------------------------------------
# 2. With the Prisma peers, against PostgreSQL
prisma="$work/prisma"
mkdir -p "$prisma"
cd "$prisma"
echo '{ "name": "prisma-consumer", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm_install "$tarball" "zod@$(version_of zod)" "@prisma/client@$(version_of @prisma/client)" \
  "@prisma/adapter-pg@$(version_of @prisma/adapter-pg)" "pg@$(version_of pg)" \
  "@prisma/schema-engine-wasm@$(version_of @prisma/schema-engine-wasm)"
echo "pack-check: with the Prisma peers: $(du -sm node_modules | cut -f1) MB in node_modules"
node -e '
  const pg = require("pg"); const c = new pg.Client({ connectionString: process.argv[1] });
  c.connect().then(() => c.query(`CREATE DATABASE ${process.argv[2]}`)).finally(() => c.end());
' "$admin_url" "$db_name"
db_url="$(node -p "const u = new URL(process.argv[1]); u.pathname = '/' + process.argv[2]; u.toString()" "$admin_url" "$db_name")"
node_modules/.bin/sagaflow migrate --url "$db_url"
cp "$core/quick-start.ts" "$core/tsconfig.json" .
echo 'export { OrderPlaced };' >> quick-start.ts
cat > main.ts <<'EOF'
import { SagaOrchestrator } from 'sagaflow';
import { createPrismaRepository } from 'sagaflow/prisma';
import { Checkout, OrderPlaced } from './quick-start.js';

const repository = await createPrismaRepository({ databaseUrl: process.env.DATABASE_URL! });
const orchestrator = new SagaOrchestrator({ sagas: [Checkout], repository });
await orchestrator.publish(OrderPlaced, { orderId: 'o-1', total: 25 }, { correlationId: 'o-1' });
const order = await orchestrator.find(Checkout, 'o-1');
await orchestrator.close();
await repository.close();
if (order?.state !== 'AwaitingPayment' || order.version !== 1) throw new Error(`unexpected ${JSON.stringify(order)}`);
console.log(`found ${order.state} version ${order.version} in PostgreSQL`);
EOF
node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.json || fail "the Prisma consumer does not type-check"
DATABASE_URL="$db_url" node out/main.js || fail "the Prisma consumer failed against PostgreSQL"
echo "pack-check: OK"
