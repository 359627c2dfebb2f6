/**
 * @module prisma/schema-engine
 *
 * Loads Prisma's schema engine compiled to WebAssembly (`@prisma/schema-engine-wasm`), the engine behind
 * `prisma migrate`, so migrations run without the native engine binary the Prisma CLI downloads.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { importPeer } from '../peers/optional-peers.ts';
import { loadAdapterUtils } from './peers.ts';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import type * as EngineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';

export type { SchemaEngine };

let glue: Promise<typeof EngineGlue> | undefined;

/** The global `WebAssembly` API; this project's `lib` setting (no DOM) does not declare it. */
const wasm = (
  globalThis as unknown as {
    WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }> };
  }
).WebAssembly;

/**
 * Instantiates the WebAssembly module once per process.
 *
 * Why not `import '@prisma/schema-engine-wasm'`: its entry point imports the `.wasm` file as an ES module,
 * which Node 20 only allows behind `--experimental-wasm-modules`, a flag every script, test worker and user
 * process would then need. The package also exports its JavaScript glue alone (`./schema_engine_bg`), so we
 * compile the `.wasm` bytes ourselves and hand the instance to the glue, exactly as the entry point does.
 * No Node flag is needed anywhere.
 */
function loadGlue(): Promise<typeof EngineGlue> {
  glue ??= (async () => {
    const require = createRequire(import.meta.url);
    const mod = (await importPeer('@prisma/schema-engine-wasm', 'prisma', () => import('@prisma/schema-engine-wasm/schema_engine_bg'))) as typeof EngineGlue;
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await wasm.instantiate(bytes, { './schema_engine_bg.js': withUnrefTimers(mod) });
    const exports = instance.exports as { __wbindgen_start(): void };
    mod.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return mod;
  })();
  return glue;
}

/**
 * The engine races its advisory-lock query (`pg_advisory_lock(72707369)`, as the native engine does)
 * against a 10 s `setTimeout` that it never clears, which kept every process that migrated alive for 10 s
 * after it finished. Unref'd timers still fire while the process has other work (the lock query's socket
 * keeps it running) but no longer hold an idle process open.
 */
function withUnrefTimers(glueModule: typeof EngineGlue): object {
  const imports: Record<string, unknown> = { ...glueModule };
  for (const name of Object.keys(imports)) {
    if (!name.startsWith('__wbg_setTimeout_')) continue;
    imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
  }
  return imports;
}

/** Log lines the engine emits; kept only for error messages. */
export type EngineLog = (line: string) => void;

/**
 * Starts a schema engine on a driver adapter factory (`PrismaPg`, `PrismaPGlite`).
 * Free it with `engine.free()` when done; the adapter's connections belong to the caller.
 *
 * @example
 * const engine = await startSchemaEngine(new PrismaPg({ connectionString }), schemaText);
 * try { await engine.applyMigrations(input); } finally { engine.free(); }
 */
export async function startSchemaEngine(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  schema: { path: string; content: string },
  log: EngineLog = () => {},
): Promise<SchemaEngine> {
  const [{ SchemaEngine }, { bindMigrationAwareSqlAdapterFactory }] = await Promise.all([loadGlue(), loadAdapterUtils()]);
  // The glue is typed against its own copy of the adapter types; the shapes are the same.
  const bound = bindMigrationAwareSqlAdapterFactory(adapter) as unknown as object;
  return SchemaEngine.new({ datamodels: [[schema.path, schema.content]] }, log, bound);
}
