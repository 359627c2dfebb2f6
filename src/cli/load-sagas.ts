/**
 * @module cli/load-sagas
 *
 * `--sagas <module>`: imports the user's module and keeps every export that is a saga definition, so
 * the CLI can draw diagrams and run replays and compensations in process. A `.ts` module needs a
 * TypeScript loader (run the CLI through `tsx`, as `npm run sagaflow` does).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Saga, type AnySaga } from '../dsl/saga.ts';

/** A saga from this copy of Sagaflow or from another (a linked package, `dist` beside `src`). */
export function isSaga(value: unknown): value is AnySaga {
  if (value instanceof Saga) return true;
  if (value === null || typeof value !== 'object') return false;
  const v = value as { name?: unknown; definition?: unknown; validate?: unknown };
  return typeof v.name === 'string' && typeof v.definition === 'object' && v.definition !== null && typeof v.validate === 'function' && 'compiled' in v;
}

/**
 * @example
 * const sagas = await loadSagas('./src/sagas.ts'); // [OrderSaga, ...]
 * @throws Error when the module cannot be imported or exports no saga
 */
export async function loadSagas(specifier: string, cwd: string = process.cwd()): Promise<AnySaga[]> {
  const looksLikePath = specifier.startsWith('.') || specifier.startsWith('/') || /\.[cm]?[jt]s$/.test(specifier);
  const target = looksLikePath ? pathToFileURL(resolve(cwd, specifier)).href : specifier;
  let module: Record<string, unknown>;
  try {
    module = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      // Node runs no TypeScript by itself (before its type stripping, or a `.ts` under node_modules).
      throw new Error(
        `cannot load the sagas module '${specifier}': Node cannot import it without a TypeScript loader; ` +
          `run the CLI through tsx (\`node --import tsx node_modules/.bin/sagaflow …\` or \`npx tsx node_modules/.bin/sagaflow …\`), ` +
          `or point --sagas at the compiled .js module`,
        { cause: error },
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot load the sagas module '${specifier}': ${reason}`, { cause: error });
  }
  const found = new Map<string, AnySaga>();
  const candidates = [...Object.values(module), ...(isRecord(module.default) ? Object.values(module.default) : [module.default])];
  for (const value of candidates) if (isSaga(value) && !found.has(value.name)) found.set(value.name, value);
  if (found.size === 0) {
    throw new Error(`the module '${specifier}' exports no saga definitions: export the values defineSaga(...) returned`);
  }
  return [...found.values()];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !isSaga(value);
}
