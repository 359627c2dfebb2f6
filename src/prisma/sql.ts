/**
 * @module prisma/sql
 *
 * Every statement the repository sends for instances. Each commit is ONE statement: PostgreSQL runs a
 * statement with data-modifying CTEs atomically, so the instance write, its history row and its outbox
 * messages commit together without an interactive transaction (one round trip instead of five: BEGIN,
 * UPDATE, INSERT, INSERT, COMMIT). The outbox and dead-letter statements are in `outbox-sql.ts` and
 * `dead-letter-sql.ts`.
 *
 * Tables are unqualified: they resolve through the connection's `search_path`, like Prisma's own queries.
 * JSON columns are read as text and parsed here, so the result does not depend on how a client or
 * driver adapter decodes `jsonb`.
 *
 * Plans that stay right as tables grow: every statement is prepared once per connection, and after five
 * runs PostgreSQL keeps one generic plan for the connection's life, replanned only when the table's
 * statistics change. Planned on a small table (a new deployment; or autovacuum off, as on some
 * servers), a join with a table is a hash join over a sequential scan of it, which then reads the whole
 * table on every batch as it grows: measured here, 3,000 batches read 13 million instance rows and the
 * order saga ran at a third of its speed. So the statements that touch a table once per row of a
 * batch leave the planner no join to hash: the lookup is a `LATERAL` subquery with `OFFSET 0` (which
 * PostgreSQL cannot flatten into a join), the inbox check a `NOT EXISTS` with `OFFSET 0` (which it
 * cannot turn into an anti-join), key matches are `= ANY(ARRAY[…])` (indexable, but not a hashable
 * join clause), and claims select `id = ANY(ARRAY(subquery))`. What remains is a nested loop over the
 * batch with an index probe per row, whatever the table's size when planned. `tests/prisma/plans.test.ts`
 * checks every statement's generic plan on empty tables.
 */
import { outboxCancel, outboxInsert } from './outbox-sql.ts';

/** Columns of `sagaflow_instances`, in the shape `rowToInstance` reads. */
function instanceColumns(): string {
  const c = '';
  return `${c}id::text AS id, ${c}saga_name, ${c}correlation_id, ${c}state, ${c}data::text AS data, ${c}data_version,
  ${c}version, ${c}status, ${c}compensation::text AS compensation, ${c}error::text AS error,
  ${c}schedules::text AS schedules, ${c}created_at, ${c}updated_at, ${c}completed_at, ${c}joins::text AS joins`;
}

export const INSTANCE_COLUMNS = instanceColumns();

export const HISTORY_COLUMNS = `instance_id::text AS instance_id, sequence, message_id, event_type, state_before,
  state_after, payload::text AS payload, at, sent::text AS sent`;

/**
 * Insert of a new instance, its first history row and its outbox messages. `ON CONFLICT DO NOTHING` turns
 * a lost race on the (saga_name, correlation_id) key into "0 rows" instead of a failed statement; the
 * repository then asks `DUPLICATES` whether the winner applied this same message (→ DuplicateMessageError)
 * or another one (→ ConcurrencyError). A new instance has no history, so it needs no inbox check itself.
 * $1 id, $2 saga_name, $3 correlation_id, $4…$12 as in `UPDATE_COMMIT`'s $3…$11, $13 created_at,
 * $14…$20 the history row (`historyParams`), $21 the outbox entries (`outboxJson`, NULL for none),
 * $22 the pending schedules (`schedulesJson`), $23 the messages the write sent (`sentJson`, NULL for none),
 * $24 the joins under way (`joinsJson`, NULL for none).
 */
export const INSERT_COMMIT = `WITH i AS (
  INSERT INTO sagaflow_instances
    (id, saga_name, correlation_id, state, data, data_version, version, status, compensation, error, updated_at,
     completed_at, created_at, schedules, joins)
  VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::int, $7::int, $8::text, $9::jsonb, $10::jsonb,
          $11::timestamptz, $12::timestamptz, $13::timestamptz, $22::jsonb, $24::jsonb)
  ON CONFLICT DO NOTHING
  RETURNING id
), o AS (
  ${outboxInsert('i', 'i.id', '$21::jsonb')}
)
INSERT INTO sagaflow_history (instance_id, message_id, event_type, state_before, state_after, payload, at, sequence, sent)
SELECT i.id, $14::text, $15::text, $16::text, $17::text, $18::jsonb, $19::timestamptz, $20::int, $23::jsonb FROM i`;

/**
 * Conditional update plus history row and outbox messages: both INSERTs select from the UPDATE, so they
 * insert rows exactly when the version check and the inbox check let it through. The inbox check (no
 * history row of this instance has the message id) runs on the history's primary-key prefix.
 * $1 id, $2 expected version, $3…$11 the mutable columns (`mutableParams`), $12…$18 the history row
 * (`historyParams`), $19 the outbox entries (`outboxJson`, NULL for none), $20 the pending schedules
 * (`schedulesJson`), $21 the outbox ids to delete with the write (cancelled schedules; NULL for none),
 * $22 the messages the write sent (`sentJson`, NULL for none), $23 the joins under way (`joinsJson`, NULL for none).
 */
export const UPDATE_COMMIT = `WITH u AS (
  UPDATE sagaflow_instances
  SET state = $3::text, data = $4::jsonb, data_version = $5::int, version = $6::int, status = $7::text,
      compensation = $8::jsonb, error = $9::jsonb, updated_at = $10::timestamptz, completed_at = $11::timestamptz,
      schedules = $20::jsonb, joins = $23::jsonb
  WHERE id = $1::uuid AND version = $2::int
    AND NOT EXISTS (SELECT 1 FROM sagaflow_history WHERE instance_id = $1::uuid AND message_id = $12::text)
  RETURNING id
), o AS (
  ${outboxInsert('u', 'u.id', '$19::jsonb')}
), c AS (
  ${outboxCancel('u', '$21::uuid[]')}
)
INSERT INTO sagaflow_history (instance_id, message_id, event_type, state_before, state_after, payload, at, sequence, sent)
SELECT u.id, $12::text, $13::text, $14::text, $15::text, $16::jsonb, $17::timestamptz, $18::int, $22::jsonb FROM u`;

/**
 * Conditional delete plus outbox messages; the history goes with it (deleted here: the journal has no
 * foreign key, see `prisma/schema.prisma`), the messages stay. Answers `deleted`, 0 or 1.
 * $1 id, $2 expected version, $3 the outbox entries, $4 the outbox ids to delete with it (NULL for none).
 */
export const DELETE_COMMIT = `WITH d AS (
  DELETE FROM sagaflow_instances WHERE id = $1::uuid AND version = $2::int RETURNING id
), h AS (
  DELETE FROM sagaflow_history WHERE instance_id = $1::uuid AND EXISTS (SELECT 1 FROM d)
), o AS (
  ${outboxInsert('d', 'd.id', '$3::jsonb')}
), c AS (
  ${outboxCancel('d', '$4::uuid[]')}
)
SELECT count(*)::int AS deleted FROM d`;

/**
 * Which of the commits that did not apply failed because their instance already applied the message:
 * the `ord`s (1-based) whose (saga_name, correlation_id) instance has a history row with the message id.
 * Sent only when a commit did not apply, so it costs nothing on the path that succeeds; index probes
 * only (module comment), since conflicts come in bursts exactly when the tables are busiest.
 * $1 saga names, $2 correlation ids, $3 message ids.
 */
export const DUPLICATES = `SELECT v.ord FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY
  AS v(saga_name, correlation_id, message_id, ord)
WHERE EXISTS (
  SELECT 1 FROM sagaflow_instances AS i CROSS JOIN LATERAL (
    SELECT 1 FROM sagaflow_history AS h WHERE h.instance_id = i.id AND h.message_id = v.message_id OFFSET 0
  ) AS h
  WHERE i.saga_name = v.saga_name AND i.correlation_id = v.correlation_id OFFSET 0
)`;

export const FIND_BY_CORRELATION = `SELECT ${INSTANCE_COLUMNS} FROM sagaflow_instances
WHERE saga_name = $1 AND correlation_id = $2`;

/**
 * The read of `lockInstance`, in a transaction of its own: the row stays locked until that transaction
 * ends, so writers of the instance elsewhere wait (PostgreSQL queues them on the row) instead of racing.
 */
export const FIND_BY_CORRELATION_FOR_UPDATE = `${FIND_BY_CORRELATION} FOR UPDATE`;

export const FIND_BY_ID = `SELECT ${INSTANCE_COLUMNS} FROM sagaflow_instances WHERE id = $1::uuid`;

export const HISTORY = `SELECT ${HISTORY_COLUMNS} FROM sagaflow_history WHERE instance_id = $1::uuid ORDER BY sequence`;

/** One page of it: $2 the sequence to stay below, $3 how many of the last rows before it (served by the primary key). */
export const HISTORY_PAGE = `SELECT * FROM (SELECT ${HISTORY_COLUMNS} FROM sagaflow_history
  WHERE instance_id = $1::uuid AND sequence < $2::int ORDER BY sequence DESC LIMIT $3::int) page ORDER BY sequence`;

export const COUNT_BY_STATE = (filtered: boolean) => `SELECT saga_name, state, status, count(*)::int AS count
FROM sagaflow_instances${filtered ? ' WHERE saga_name = $1' : ''}
GROUP BY saga_name, state, status`;

export const COUNT_BY_VERSION = (filtered: boolean) => `SELECT saga_name, data_version, status, count(*)::int AS count
FROM sagaflow_instances${filtered ? ' WHERE saga_name = $1' : ''}
GROUP BY saga_name, data_version, status`;

/** Which of our tables exist in the connection's search_path: one column per table, NULL when missing. */
export const SCHEMA_CHECK = `SELECT to_regclass('sagaflow_instances')::text AS sagaflow_instances,
  to_regclass('sagaflow_history')::text AS sagaflow_history, to_regclass('sagaflow_outbox')::text AS sagaflow_outbox,
  to_regclass('sagaflow_dead_letters')::text AS sagaflow_dead_letters,
  to_regclass('sagaflow_commands')::text AS sagaflow_commands,
  to_regclass('_prisma_migrations')::text AS prisma_migrations`;

/** The migrations Prisma's bookkeeping records as applied (finished, not rolled back). */
export const APPLIED_MIGRATIONS = `SELECT migration_name AS name FROM _prisma_migrations
  WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;

/**
 * Group commit: many inserts and conditional updates, each with its history row and outbox messages, in
 * ONE statement.
 * $1 is a JSON array with one flat object per commit (`batchParam`), so the text never changes and is
 * prepared once per connection. (One JSON parameter, not an array per column for `unnest`: measured on
 * a 16-commit batch it cost the client 2.6× less CPU through `pg` and 1.8× less through Prisma, whose
 * raw-query path works per parameter byte and per array element.) Each commit succeeds or fails alone:
 * - an insert applies unless its (saga_name, correlation_id) or id exists (`ON CONFLICT DO NOTHING`);
 * - an update applies only where `version = expected` and the instance's history lacks its message id
 *   (the inbox). Two updates of one row in the same batch join the same target row, and PostgreSQL
 *   updates a row at most once per statement: one wins, and `RETURNING v.ord` says which. The key and
 *   version are matched with `= ANY(ARRAY[…])` and the inbox check has `OFFSET 0`, so that the plan is
 *   an index probe per commit on any table size (the module comment says why);
 * - history rows and outbox rows (a commit's optional `outbox` array) are inserted for exactly the
 *   commits that applied.
 * The result is the `ord`s of the commits that applied. `expected` is null for an insert. JSON null
 * becomes SQL NULL in `jsonb_to_recordset`, hence the COALESCEs: a NOT NULL jsonb column stores JSON
 * null, as the single-commit statements do; an absent `outbox` is NULL too, which expands to no rows. All
 * CTEs see one snapshot and commit together, or not at all.
 */
export const BATCH_COMMIT = `WITH v AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(ord int, id uuid, saga_name text, correlation_id text,
    expected int, state text, data jsonb, data_version int, version int, status text, compensation jsonb,
    error jsonb, updated_at timestamptz, completed_at timestamptz, created_at timestamptz, message_id text,
    event_type text, state_before text, state_after text, payload jsonb, at timestamptz, sequence int, outbox jsonb,
    schedules jsonb, cancel uuid[], sent jsonb, joins jsonb)
), inserted AS (
  INSERT INTO sagaflow_instances
    (id, saga_name, correlation_id, state, data, data_version, version, status, compensation, error, updated_at,
     completed_at, created_at, schedules, joins)
  SELECT id, saga_name, correlation_id, state, COALESCE(data, 'null'), data_version, version, status,
    COALESCE(compensation, 'null'), error, updated_at, completed_at, created_at, COALESCE(schedules, '[]'), joins
  FROM v WHERE expected IS NULL
  ON CONFLICT DO NOTHING
  RETURNING id
), updated AS (
  UPDATE sagaflow_instances AS i
  SET state = v.state, data = COALESCE(v.data, 'null'), data_version = v.data_version, version = v.version,
      status = v.status, compensation = COALESCE(v.compensation, 'null'), error = v.error,
      updated_at = v.updated_at, completed_at = v.completed_at, schedules = COALESCE(v.schedules, '[]'),
      joins = v.joins
  FROM v
  WHERE v.expected IS NOT NULL AND i.id = ANY(ARRAY[v.id]) AND i.version = ANY(ARRAY[v.expected])
    AND NOT EXISTS (SELECT 1 FROM sagaflow_history AS h WHERE h.instance_id = v.id AND h.message_id = v.message_id OFFSET 0)
  RETURNING v.ord
), applied AS (
  SELECT v.ord FROM v JOIN inserted ON inserted.id = v.id WHERE v.expected IS NULL
  UNION ALL
  SELECT ord FROM updated
), history AS (
  INSERT INTO sagaflow_history (instance_id, message_id, event_type, state_before, state_after, payload, at, sequence, sent)
  SELECT v.id, v.message_id, v.event_type, v.state_before, v.state_after, COALESCE(v.payload, 'null'), v.at, v.sequence, v.sent
  FROM v JOIN applied ON applied.ord = v.ord
), outbox AS (
  ${outboxInsert('v JOIN applied ON applied.ord = v.ord', 'v.id', 'v.outbox')}
), cancelled AS (
  -- The ids first, then the primary key: a batch that cancels nothing touches no outbox row.
  DELETE FROM sagaflow_outbox AS o USING v JOIN applied ON applied.ord = v.ord
  WHERE v.cancel IS NOT NULL AND o.id = ANY(v.cancel)
)
SELECT ord FROM applied`;

/**
 * The lookups of a batch as ONE JSON text, `[[ord, row], …]` (`ord` the 1-based position of the lookup,
 * a lookup that found nothing absent): a client then decodes one value instead of 13 per row, which
 * through Prisma halves the cost. Each lookup is a `LATERAL … OFFSET 0` probe of the unique index, never
 * a join (module comment). `sagas` and `correlations` are the text-array parameters.
 */
function lookupsJson(sagas: string, correlations: string): string {
  return `SELECT COALESCE(json_agg(json_build_array(k.ord, i)), '[]')::text
FROM unnest(${sagas}::text[], ${correlations}::text[]) WITH ORDINALITY AS k(saga_name, correlation_id, ord)
CROSS JOIN LATERAL (
  SELECT * FROM sagaflow_instances AS i WHERE i.saga_name = k.saga_name AND i.correlation_id = k.correlation_id OFFSET 0
) AS i`;
}

/** Many lookups by correlation in one statement (`lookupsJson`); $1 saga names, $2 correlation ids. Answers `found`. */
export const FIND_BY_CORRELATION_BATCH = `SELECT (${lookupsJson('$1', '$2')}) AS found`;

/**
 * Group commit with the lookups that waited beside it: `BATCH_COMMIT` ($1) and `FIND_BY_CORRELATION_BATCH`
 * ($2 saga names, $3 correlation ids) as ONE statement, one round trip and one transaction instead of two.
 * Answers one row: `applied`, the JSON array of the `ord`s of the commits that applied, and `found`, as
 * `FIND_BY_CORRELATION_BATCH`'s. The lookups read the statement's snapshot, from before its own writes;
 * a lookup never waits on a commit of the same instance in the same batch, because a process sends an
 * instance's next read only after its last write returned (and an orchestrator holds the instance's
 * mutex from read to commit), so the two never share a statement.
 */
export const BATCH_COMMIT_AND_FIND = `${BATCH_COMMIT.slice(0, BATCH_COMMIT.lastIndexOf('\nSELECT ord FROM applied'))}
SELECT (SELECT COALESCE(json_agg(ord), '[]') FROM applied)::text AS applied, (${lookupsJson('$2', '$3')}) AS found`;
