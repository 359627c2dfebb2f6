/**
 * @module prisma/outbox-sql
 *
 * The transactional outbox on PostgreSQL: how a commit's messages go into `sagaflow_outbox` inside the
 * commit's own statement, and the relay's statements (stage, claim, mark sent, size).
 *
 * Entries travel as ONE JSON parameter, `[{ id, envelope, available_at }, …]`, expanded in SQL with
 * `jsonb_to_recordset`: the statement text stays the same whatever the number of messages, so it is
 * prepared once, and a commit without messages passes NULL, which expands to no rows.
 */
import type { ClaimOptions, OutboxEntry, OutboxMessage } from '../repository/types.ts';
import type { SqlRunner } from './client-types.ts';
import { iso } from './row-mapping.ts';
import { isUuid } from './uuid.ts';

/**
 * An `INSERT … SELECT` of outbox rows for a commit, for use as a data-modifying CTE: `from` is the SQL
 * that yields one row per write that applied (so a write that did not apply stores nothing),
 * `instanceId` the expression for its instance id, `entries` the expression for its JSON entries.
 * An id already stored is skipped, as `stageOutbox` does, rather than failing the commit.
 *
 * @example
 * `WITH u AS (UPDATE … RETURNING id), o AS (${outboxInsert('u', 'u.id', '$19::jsonb')}) …`
 */
export function outboxInsert(from: string, instanceId: string, entries: string): string {
  return `INSERT INTO sagaflow_outbox (id, message_id, message_type, envelope, instance_id, available_at, created_at)
  SELECT e.id, e.envelope->>'messageId', e.envelope->>'type', e.envelope, ${instanceId}, e.available_at, now()
  FROM ${from} CROSS JOIN LATERAL jsonb_to_recordset(${entries}) AS e(id uuid, envelope jsonb, available_at timestamptz)
  ON CONFLICT (id) DO NOTHING`;
}

/**
 * A `DELETE` of outbox rows (cancelled schedules) for a commit, for use as a data-modifying CTE: rows go
 * only if the write in `from` applied. `ids` is a `uuid[]` expression, NULL for none.
 */
export function outboxCancel(from: string, ids: string): string {
  return `DELETE FROM sagaflow_outbox WHERE id = ANY(${ids}) AND EXISTS (SELECT 1 FROM ${from})`;
}

/** $1 the entries (`outboxJson`); no instance. */
export const STAGE_OUTBOX = outboxInsert('(VALUES (1)) AS one', 'NULL::uuid', '$1::jsonb');

/**
 * Claims due messages, oldest (lowest UUIDv7) first. `FOR UPDATE SKIP LOCKED` lets concurrent relays
 * pass over rows another relay is claiming; a row another relay claimed and committed meanwhile is
 * re-checked against `available_at <= now` and no longer qualifies. Either way no two relays get the
 * same message within its lease. The claimed ids come back as an array that the UPDATE probes on the
 * primary key, rather than a semi-join PostgreSQL could plan as a scan of the whole outbox on every claim
 * (see `sql.ts`'s module comment: generic plans made while the table was small). $1 limit, $2 now,
 * $3 lease end.
 */
export const CLAIM_OUTBOX = `UPDATE sagaflow_outbox
SET available_at = $3::timestamptz, attempts = attempts + 1
WHERE id = ANY(ARRAY(
  SELECT id FROM sagaflow_outbox
  WHERE available_at <= $2::timestamptz
  ORDER BY id
  LIMIT $1::int
  FOR UPDATE SKIP LOCKED
))
RETURNING id::text AS id, envelope::text AS envelope, available_at, attempts, created_at`;

/** `CLAIM_OUTBOX` on the database's clock: $1 limit, $2 lease in ms. */
export const CLAIM_OUTBOX_AT_DB_TIME = `UPDATE sagaflow_outbox
SET available_at = now() + $2::int * interval '1 millisecond', attempts = attempts + 1
WHERE id = ANY(ARRAY(
  SELECT id FROM sagaflow_outbox
  WHERE available_at <= now()
  ORDER BY id
  LIMIT $1::int
  FOR UPDATE SKIP LOCKED
))
RETURNING id::text AS id, envelope::text AS envelope, available_at, attempts, created_at`;

/** $1 the ids, all UUIDs. */
export const MARK_SENT = `DELETE FROM sagaflow_outbox WHERE id = ANY($1::uuid[])`;

export const OUTBOX_SIZE = `SELECT count(*)::int AS size FROM sagaflow_outbox`;

/** A row as `CLAIM_OUTBOX` returns it. */
export interface OutboxRow {
  id: string;
  envelope: string;
  available_at: Date | string;
  attempts: number | bigint;
  created_at: Date | string;
}

export function rowToOutboxMessage(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    envelope: JSON.parse(row.envelope) as OutboxMessage['envelope'],
    availableAt: new Date(row.available_at),
    attempts: Number(row.attempts),
    createdAt: new Date(row.created_at),
  };
}

/**
 * The entries as one JSON array, or `null` for none (the commit statements' outbox parameter).
 *
 * @example
 * outboxJson([{ id, envelope, availableAt }]); // '[{"id":"…","envelope":{…},"available_at":"2026-…Z"}]'
 */
export function outboxJson(entries: readonly OutboxEntry[] | undefined): string | null {
  if (entries === undefined || entries.length === 0) return null;
  let out = '[';
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    const envelope = JSON.stringify(e.envelope) as string | undefined;
    if (envelope === undefined) throw new TypeError(`outbox entry '${e.id}' has no envelope`);
    out += (k === 0 ? '{"id":' : ',{"id":') + JSON.stringify(e.id) + ',"envelope":' + envelope +
      ',"available_at":"' + iso(e.availableAt) + '"}';
  }
  return out + ']';
}

/** `SagaRepository.stageOutbox`: one statement for all entries; ids already staged are skipped. */
export async function stageOutbox(sql: SqlRunner, entries: readonly OutboxEntry[]): Promise<void> {
  const json = outboxJson(entries);
  if (json !== null) await sql.execute(STAGE_OUTBOX, [json]);
}

/** `SagaRepository.claimOutbox`, oldest first. */
export async function claimOutbox(sql: SqlRunner, options: ClaimOptions): Promise<OutboxMessage[]> {
  const limit = Math.floor(options.limit);
  if (!(limit >= 1)) return [];
  const rows =
    'leaseMs' in options
      ? await sql.query<OutboxRow>(CLAIM_OUTBOX_AT_DB_TIME, [limit, Math.max(0, Math.round(options.leaseMs))])
      : await sql.query<OutboxRow>(CLAIM_OUTBOX, [limit, iso(options.now), iso(options.leaseUntil)]);
  // RETURNING keeps no order; the ids are lowercase UUIDs, which compare as text as PostgreSQL orders them.
  return rows.map(rowToOutboxMessage).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** `SagaRepository.markSent`: an id that is not a UUID cannot be stored, so it is already "not there". */
export async function markSent(sql: SqlRunner, ids: readonly string[]): Promise<void> {
  const known = ids.filter(isUuid);
  if (known.length) await sql.execute(MARK_SENT, [known]);
}

export async function outboxSize(sql: SqlRunner): Promise<number> {
  const [row] = await sql.query<{ size: number | bigint }>(OUTBOX_SIZE, []);
  return Number(row?.size ?? 0);
}
