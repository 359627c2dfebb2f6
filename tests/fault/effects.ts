/**
 * @module tests/fault/effects
 *
 * What the simulated services did, in a table of its own next to Sagaflow's: one row per (kind, order),
 * enforced by a unique constraint, so a service that runs again for the same order (a redelivered
 * command, a compensation step resumed after a crash) cannot record its effect twice. It bumps
 * `attempts` instead, which is how the suite shows that redeliveries really happened.
 */
import pg from 'pg';

/** The effect kinds: one per command a service handles, and one per compensation step. */
export const EffectKind = Object.freeze({
  Payment: 'payment',
  Stock: 'stock',
  Shipment: 'shipment',
  Refund: 'refund',
  Release: 'release',
  RefundNotice: 'notice-refund',
  ReleaseNotice: 'notice-release',
} as const);
export type EffectKind = (typeof EffectKind)[keyof typeof EffectKind];

export const EFFECTS_TABLE = `CREATE TABLE IF NOT EXISTS fault_effects (
  seq bigserial PRIMARY KEY,
  kind text NOT NULL,
  order_id text NOT NULL,
  outcome text NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  first_pid integer NOT NULL,
  last_pid integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT fault_effects_once UNIQUE (kind, order_id)
)`;

/** A second run keeps the first row; a different outcome is appended, so the checks can see it. */
const RECORD = `INSERT INTO fault_effects (kind, order_id, outcome, first_pid, last_pid)
VALUES ($1, $2, $3, $4, $4)
ON CONFLICT (kind, order_id) DO UPDATE SET
  attempts = fault_effects.attempts + 1,
  last_pid = EXCLUDED.last_pid,
  updated_at = clock_timestamp(),
  outcome = CASE WHEN fault_effects.outcome = EXCLUDED.outcome THEN fault_effects.outcome
                 ELSE fault_effects.outcome || '|' || EXCLUDED.outcome END
RETURNING attempts`;

export interface EffectRow {
  readonly seq: number;
  readonly kind: string;
  readonly orderId: string;
  readonly outcome: string;
  readonly attempts: number;
}

/**
 * The services' side of the table, on a pool of its own (a service is not Sagaflow).
 *
 * @example
 * const effects = new EffectsStore(url);
 * await effects.record('payment', 'order-1', 'charged'); // 1; 2 the next time
 */
export class EffectsStore {
  readonly #pool: pg.Pool;

  constructor(connectionString: string, poolSize = 4) {
    this.#pool = new pg.Pool({ connectionString, max: poolSize });
    // A connection PostgreSQL terminated while idle: the pool replaces it; unhandled, it would crash.
    this.#pool.on('error', () => {});
  }

  static async createTable(connectionString: string): Promise<void> {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(EFFECTS_TABLE);
    } finally {
      await client.end();
    }
  }

  /** Records the effect (or counts one more attempt at it); resolves with the attempts so far. */
  async record(kind: EffectKind, orderId: string, outcome: string): Promise<number> {
    const { rows } = await this.#pool.query<{ attempts: number }>(RECORD, [kind, orderId, outcome, process.pid]);
    return rows[0]!.attempts;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Every recorded effect, in the order they were first recorded. */
export async function readEffects(client: pg.ClientBase): Promise<EffectRow[]> {
  const { rows } = await client.query<{ seq: string; kind: string; order_id: string; outcome: string; attempts: number }>(
    'SELECT seq, kind, order_id, outcome, attempts FROM fault_effects ORDER BY seq',
  );
  return rows.map((r) => ({ seq: Number(r.seq), kind: r.kind, orderId: r.order_id, outcome: r.outcome, attempts: r.attempts }));
}
