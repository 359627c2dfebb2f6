/**
 * @module prisma/sql
 *
 * Every statement the repository sends. Each commit is ONE statement: PostgreSQL runs a statement with
 * data-modifying CTEs atomically, so the instance write and its history row commit together without an
 * interactive transaction (one round trip instead of four: BEGIN, UPDATE, INSERT, COMMIT).
 *
 * Tables are unqualified: they resolve through the connection's `search_path`, like Prisma's own queries.
 * JSON columns are read as text and parsed here, so the result does not depend on how a client or
 * driver adapter decodes `jsonb`.
 */

/** Columns of `sagaflow_instances`, in the shape `rowToInstance` reads. */
export const INSTANCE_COLUMNS = `id::text AS id, saga_name, correlation_id, state, data::text AS data, data_version, version, status,
  compensation::text AS compensation, error::text AS error, created_at, updated_at, completed_at`;

export const HISTORY_COLUMNS = `instance_id::text AS instance_id, sequence, message_id, event_type, state_before,
  state_after, payload::text AS payload, at`;

/**
 * Insert of a new instance and its first history row. `ON CONFLICT DO NOTHING` turns a lost race on the
 * (saga_name, correlation_id) key into "0 rows" (→ ConcurrencyError) instead of a failed statement.
 * $1 id, $2 saga_name, $3 correlation_id, $4…$12 as in `UPDATE_COMMIT`'s $3…$11, $13 created_at,
 * $14…$20 the history row (`historyParams`).
 */
export const INSERT_COMMIT = `WITH i AS (
  INSERT INTO sagaflow_instances
    (id, saga_name, correlation_id, state, data, data_version, version, status, compensation, error, updated_at,
     completed_at, created_at)
  VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::int, $7::int, $8::text, $9::jsonb, $10::jsonb,
          $11::timestamptz, $12::timestamptz, $13::timestamptz)
  ON CONFLICT DO NOTHING
  RETURNING id
)
INSERT INTO sagaflow_history (instance_id, message_id, event_type, state_before, state_after, payload, at, sequence)
SELECT i.id, $14::text, $15::text, $16::text, $17::text, $18::jsonb, $19::timestamptz, $20::int FROM i`;

/**
 * Conditional update plus history row: the history INSERT selects from the UPDATE, so it inserts exactly
 * as many rows (0 or 1) as the version check let through.
 * $1 id, $2 expected version, $3…$11 the mutable columns (`mutableParams`), $12…$18 the history row
 * (`historyParams`).
 */
export const UPDATE_COMMIT = `WITH u AS (
  UPDATE sagaflow_instances
  SET state = $3::text, data = $4::jsonb, data_version = $5::int, version = $6::int, status = $7::text,
      compensation = $8::jsonb, error = $9::jsonb, updated_at = $10::timestamptz, completed_at = $11::timestamptz
  WHERE id = $1::uuid AND version = $2::int
  RETURNING id
)
INSERT INTO sagaflow_history (instance_id, message_id, event_type, state_before, state_after, payload, at, sequence)
SELECT u.id, $12::text, $13::text, $14::text, $15::text, $16::jsonb, $17::timestamptz, $18::int FROM u`;

/** Conditional delete; history goes with it (ON DELETE CASCADE). $1 id, $2 expected version. */
export const DELETE_COMMIT = `DELETE FROM sagaflow_instances WHERE id = $1::uuid AND version = $2::int`;

export const FIND_BY_CORRELATION = `SELECT ${INSTANCE_COLUMNS} FROM sagaflow_instances
WHERE saga_name = $1 AND correlation_id = $2`;

export const FIND_BY_ID = `SELECT ${INSTANCE_COLUMNS} FROM sagaflow_instances WHERE id = $1::uuid`;

export const HISTORY = `SELECT ${HISTORY_COLUMNS} FROM sagaflow_history WHERE instance_id = $1::uuid ORDER BY sequence`;

export const COUNT_BY_STATE = (filtered: boolean) => `SELECT saga_name, state, status, count(*)::int AS count
FROM sagaflow_instances${filtered ? ' WHERE saga_name = $1' : ''}
GROUP BY saga_name, state, status`;

/** Which of our tables exist in the connection's search_path. */
export const SCHEMA_CHECK = `SELECT to_regclass('sagaflow_instances')::text AS instances,
  to_regclass('sagaflow_history')::text AS history`;
