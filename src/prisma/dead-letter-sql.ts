/**
 * @module prisma/dead-letter-sql
 *
 * Dead letters on PostgreSQL (`sagaflow_dead_letters`): the statements, the listing query with its
 * filters and keyset pagination on (created_at, id), and the row mapping. Cursors are the shared ones of
 * `repository/cursor.ts` with the letter's `createdAt` in the time slot, as the in-memory store makes them.
 */
import type { DeadLetter, DeadLetterCountQuery, DeadLetterQuery, DeadLetterReason, Page } from '../repository/types.ts';
import { decodeCursor, encodeCursor, pageSize } from '../repository/cursor.ts';
import { InvalidCursorError } from '../errors/invalid-cursor-error.ts';
import type { SqlRunner } from './client-types.ts';
import { PgErrorCode, sqlState } from './pg-error.ts';
import { iso, toJson } from './row-mapping.ts';
import { isUuid } from './uuid.ts';

const COLUMNS = `id::text AS id, reason, error_code, error_message, envelope::text AS envelope, message_id,
  message_type, saga_name, correlation_id, instance_id::text AS instance_id, replays, created_at, updated_at`;

/** The same columns with no envelope: a listing of summaries downloads no payloads. */
const SUMMARY_COLUMNS = COLUMNS.replace('envelope::text AS envelope', 'NULL::text AS envelope');

/** $1…$13 as `deadLetterParams` orders them. */
export const ADD_DEAD_LETTER = `INSERT INTO sagaflow_dead_letters
  (id, reason, error_code, error_message, envelope, message_id, message_type, saga_name, correlation_id,
   instance_id, replays, created_at, updated_at)
VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::text, $7::text, $8::text, $9::text, $10::uuid,
        $11::int, $12::timestamptz, $13::timestamptz)`;

export const GET_DEAD_LETTER = `SELECT ${COLUMNS} FROM sagaflow_dead_letters WHERE id = $1::uuid`;

/** A failed replay. $1 id, $2 error code, $3 error message, $4 when. */
export const UPDATE_DEAD_LETTER = `UPDATE sagaflow_dead_letters
SET replays = replays + 1, error_code = $2::text, error_message = $3::text, updated_at = $4::timestamptz
WHERE id = $1::uuid`;

export const DELETE_DEAD_LETTER = `DELETE FROM sagaflow_dead_letters WHERE id = $1::uuid`;

/** A row as `COLUMNS` selects it. */
export interface DeadLetterRow {
  id: string;
  reason: string;
  error_code: string;
  error_message: string;
  envelope: string | null;
  message_id: string | null;
  message_type: string | null;
  saga_name: string | null;
  correlation_id: string | null;
  instance_id: string | null;
  replays: number | bigint;
  created_at: Date | string;
  updated_at: Date | string;
}

export function deadLetterParams(d: DeadLetter): unknown[] {
  return [
    d.id,
    d.reason,
    d.errorCode,
    d.errorMessage,
    toJson(d.envelope),
    d.messageId,
    d.messageType,
    d.sagaName,
    d.correlationId,
    d.instanceId,
    d.replays,
    iso(d.createdAt),
    iso(d.updatedAt),
  ];
}

export function rowToDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    reason: row.reason as DeadLetterReason,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    envelope: row.envelope === null ? undefined : (JSON.parse(row.envelope) as unknown),
    messageId: row.message_id,
    messageType: row.message_type,
    sagaName: row.saga_name,
    correlationId: row.correlation_id,
    instanceId: row.instance_id,
    replays: Number(row.replays),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * The listing statement, oldest first; it fetches one row more than the page to know whether a next
 * page exists. The `sagaflow_dead_letters_created_at_id_idx` index serves the order and the cursor.
 *
 * @example
 * buildDeadLetterQuery({ reason: 'unknown-event', limit: 10 });
 * // WHERE reason = $1::text ORDER BY created_at, id LIMIT 11
 */
export function buildDeadLetterQuery(query: DeadLetterQuery = {}): { sql: string; params: unknown[]; limit: number } {
  const { where, params, param } = filters(query);
  if (query.cursor !== undefined) {
    const key = decodeCursor(query.cursor);
    if (!isUuid(key.id)) throw new InvalidCursorError('its id is not a uuid');
    where.push(`(created_at, id) > (${param(iso(key.updatedAt), '::timestamptz')}, ${param(key.id, '::uuid')})`);
  }
  const limit = pageSize(query.limit);
  const sql =
    `SELECT ${query.withoutEnvelope ? SUMMARY_COLUMNS : COLUMNS} FROM sagaflow_dead_letters` +
    (where.length ? `\nWHERE ${where.join(' AND ')}` : '') +
    `\nORDER BY created_at, id\nLIMIT ${limit + 1}`;
  return { sql, params, limit };
}

/** The count statement for `countDeadLetters`: the listing's filters, no rows fetched. */
export function buildDeadLetterCount(query: DeadLetterCountQuery = {}): { sql: string; params: unknown[] } {
  const { where, params } = filters(query);
  return { sql: `SELECT count(*)::int AS count FROM sagaflow_dead_letters${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params };
}

function filters(query: DeadLetterCountQuery) {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  if (query.reason !== undefined) where.push(`reason = ${param(query.reason, '::text')}`);
  if (query.sagaName !== undefined) where.push(`saga_name = ${param(query.sagaName, '::text')}`);
  if (query.messageType !== undefined) where.push(`message_type = ${param(query.messageType, '::text')}`);
  return { where, params, param };
}

export async function countDeadLetters(sql: SqlRunner, query?: DeadLetterCountQuery): Promise<number> {
  const built = buildDeadLetterCount(query);
  const [row] = await sql.query<{ count: number | bigint }>(built.sql, built.params);
  return Number(row?.count ?? 0);
}

/** `SagaRepository.addDeadLetter`; an id that exists is a `RangeError`, as in the in-memory store. */
export async function addDeadLetter(sql: SqlRunner, letter: DeadLetter): Promise<void> {
  try {
    await sql.execute(ADD_DEAD_LETTER, deadLetterParams(letter));
  } catch (error) {
    if (sqlState(error) === PgErrorCode.UniqueViolation) throw new RangeError(`dead letter '${letter.id}' exists`, { cause: error });
    throw error;
  }
}

export async function getDeadLetter(sql: SqlRunner, id: string): Promise<DeadLetter | null> {
  if (!isUuid(id)) return null;
  const [row] = await sql.query<DeadLetterRow>(GET_DEAD_LETTER, [id]);
  return row ? rowToDeadLetter(row) : null;
}

export async function listDeadLetters(sql: SqlRunner, query?: DeadLetterQuery): Promise<Page<DeadLetter>> {
  const built = buildDeadLetterQuery(query);
  const rows = await sql.query<DeadLetterRow>(built.sql, built.params);
  const items = rows.slice(0, built.limit).map(rowToDeadLetter);
  const last = items[items.length - 1];
  const nextCursor = rows.length > built.limit && last ? encodeCursor({ updatedAt: last.createdAt, id: last.id }) : null;
  return { items, nextCursor };
}

export async function updateDeadLetter(
  sql: SqlRunner,
  id: string,
  update: { readonly errorCode: string; readonly errorMessage: string; readonly at: Date },
): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await sql.execute(UPDATE_DEAD_LETTER, [id, update.errorCode, update.errorMessage, iso(update.at)])) > 0;
}

export async function deleteDeadLetter(sql: SqlRunner, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await sql.execute(DELETE_DEAD_LETTER, [id])) > 0;
}
