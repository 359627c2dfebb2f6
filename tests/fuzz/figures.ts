/**
 * @module tests/fuzz/figures
 * The run counts and the seed the property suites use, in one place so that docs and reports can quote
 * them. A fixed seed makes CI deterministic; change it (or set `FUZZ_SEED` in the environment) to explore
 * other inputs locally.
 */

/** The seed every property in `tests/fuzz` starts from. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_251_027);

/** `malformed-input.test.ts`: inputs per property fed to `orchestrator.receive` (or `dispatch`). */
export const MALFORMED_INPUT_RUNS = Object.freeze({
  bytesAndText: 300,
  jsonValues: 300,
  wrongFieldTypes: 250,
  missingFields: 150,
  hugePayloads: 60,
  invalidPayloads: 300,
  unknownTypes: 150,
  nulCharacters: 200,
  prototypePollution: 200,
  deepNesting: 60,
  hostileEnvelopes: 150,
  hostilePayloads: 150,
  shiftingGetters: 150,
  refusedByTheSaga: 300,
  dispatchData: 400,
  dispatchHostile: 100,
  readIncoming: 300,
});

export const MALFORMED_INPUT_TOTAL = Object.values(MALFORMED_INPUT_RUNS).reduce((a, b) => a + b, 0);

/**
 * `interleavings.test.ts`: random schedules (orders, deliveries, duplicates at once and later, a second
 * process racing the first, relay passes, crashes of order and services processes), each played to the end.
 */
export const INTERLEAVING_RUNS = 1_000;

/** Orders per schedule, commands per schedule before the final drain, crashes per kind of process. */
export const INTERLEAVING_SHAPE = Object.freeze({ minOrders: 2, maxOrders: 5, maxCommands: 40, maxCrashes: 2 });
