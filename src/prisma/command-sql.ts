/**
 * @module prisma/command-sql
 *
 * Handled commands on PostgreSQL (`sagaflow_commands`). A claim is one `INSERT … ON CONFLICT DO UPDATE`
 * whose update applies only to a running command whose lease ran out, so of two processes that receive
 * the same command at once, exactly one runs it. A finish is one statement that records the outcome and
 * stages the outcome's messages (a data-modifying CTE, as instance commits do), applied only while the
 * command is still running: an outcome is recorded once, and its messages exist exactly when it is.
 */
import { decodeCursor, encodeCursor, pageSize } from '../repository/cursor.ts';
import type { CommandClaim, CommandFinish, CommandQuery, CommandRecord, CommandStatus, ExpiredCommandClaim, Page } from '../repository/types.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { SqlRunner } from './client-types.ts';
import { outboxInsert, outboxJson } from './outbox-sql.ts';
import { iso, toJson } from './row-mapping.ts';

const COLUMNS = `id, command_type, target, correlation_id, envelope::text AS envelope, status, attempts, lease_until,
  output::text AS output, error::text AS error, created_at, updated_at, finished_at`;

/** $1 id, $2 type, $3 target, $4 correlation id, $5 envelope, $6 lease end, $7 now. */
export const CLAIM_COMMAND = `INSERT INTO sagaflow_commands AS c
  (id, command_type, target, correlation_id, envelope, status, attempts, lease_until, created_at, updated_at)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb, 'running', 1, $6::timestamptz, $7::timestamptz, $7::timestamptz)
ON CONFLICT (id) DO UPDATE SET attempts = c.attempts + 1, lease_until = EXCLUDED.lease_until, updated_at = EXCLUDED.updated_at
  WHERE c.status = 'running' AND c.lease_until <= EXCLUDED.updated_at
RETURNING ${COLUMNS}`;

export const GET_COMMAND = `SELECT ${COLUMNS} FROM sagaflow_commands WHERE id = $1::text`;

/** $1 id, $2 attempts, $3 lease end, $4 now. */
export const RENEW_COMMAND = `UPDATE sagaflow_commands SET attempts = $2::int, lease_until = $3::timestamptz, updated_at = $4::timestamptz
WHERE id = $1::text AND status = 'running'`;

/** $1 id, $2 status, $3 attempts, $4 output, $5 error, $6 at, $7 outbox entries. Answers `finished`, 0 or 1. */
export const FINISH_COMMAND = `WITH f AS (
  UPDATE sagaflow_commands
  SET status = $2::text, attempts = $3::int, output = $4::jsonb, error = $5::jsonb, lease_until = NULL,
      updated_at = $6::timestamptz, finished_at = $6::timestamptz
  WHERE id = $1::text AND status = 'running'
  RETURNING id
), o AS (
  ${outboxInsert('f', 'NULL::uuid', '$7::jsonb')}
)
SELECT count(*)::int AS finished FROM f`;

/**
 * Recovery's claim, oldest first, skipping rows another process is claiming; only the types the process
 * handles, for its group or none. $1 limit, $2 now, $3 lease end, $4 types, $5 group (NULL for none).
 */
export const CLAIM_EXPIRED_COMMANDS = `UPDATE sagaflow_commands SET lease_until = $3::timestamptz, updated_at = $2::timestamptz
WHERE id IN (
  SELECT id FROM sagaflow_commands
  WHERE status = 'running' AND lease_until <= $2::timestamptz AND command_type = ANY($4::text[])
    AND (target IS NULL OR target = $5::text)
  ORDER BY created_at, id
  LIMIT $1::int
  FOR UPDATE SKIP LOCKED
)
RETURNING ${COLUMNS}`;

interface CommandRow {
  id: string;
  command_type: string;
  target: string | null;
  correlation_id: string | null;
  envelope: string;
  status: string;
  attempts: number | bigint;
  lease_until: Date | string | null;
  output: string | null;
  error: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

function rowToCommand(row: CommandRow): CommandRecord {
  const date = (v: Date | string | null) => (v === null ? null : new Date(v));
  return {
    id: row.id,
    commandType: row.command_type,
    target: row.target,
    correlationId: row.correlation_id,
    envelope: JSON.parse(row.envelope) as Envelope,
    status: row.status as CommandStatus,
    attempts: Number(row.attempts),
    leaseUntil: date(row.lease_until),
    output: row.output === null ? null : (JSON.parse(row.output) as unknown),
    error: row.error === null ? null : (JSON.parse(row.error) as CommandRecord['error']),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: date(row.finished_at),
  };
}

export async function claimCommand(
  sql: SqlRunner,
  claim: { envelope: Envelope; target: string | null; now: Date; leaseUntil: Date },
): Promise<CommandClaim> {
  const { envelope } = claim;
  const [claimed] = await sql.query<CommandRow>(CLAIM_COMMAND, [
    envelope.messageId,
    envelope.type,
    claim.target,
    envelope.correlationId ?? null,
    toJson(envelope),
    iso(claim.leaseUntil),
    iso(claim.now),
  ]);
  if (claimed) return { status: 'claimed', command: rowToCommand(claimed) };
  // Not taken: it is finished, or running under a lease. Asked only on this path (a redelivery).
  const [row] = await sql.query<CommandRow>(GET_COMMAND, [envelope.messageId]);
  if (!row) return claimCommand(sql, claim); // finished and removed between the two statements: take it
  const command = rowToCommand(row);
  return { status: command.status === 'running' ? 'busy' : 'finished', command };
}

export async function renewCommand(sql: SqlRunner, id: string, u: { attempts: number; leaseUntil: Date; now: Date }): Promise<boolean> {
  return (await sql.execute(RENEW_COMMAND, [id, u.attempts, iso(u.leaseUntil), iso(u.now)])) > 0;
}

export async function finishCommand(sql: SqlRunner, f: CommandFinish): Promise<boolean> {
  const [row] = await sql.query<{ finished: number | bigint }>(FINISH_COMMAND, [
    f.id,
    f.status,
    f.attempts,
    f.output === undefined ? null : toJson(f.output),
    f.error ? toJson(f.error) : null,
    iso(f.at),
    outboxJson(f.outbox),
  ]);
  return Number(row?.finished ?? 0) > 0;
}

export async function claimExpiredCommands(sql: SqlRunner, o: ExpiredCommandClaim): Promise<CommandRecord[]> {
  const limit = Math.floor(o.limit);
  if (!(limit >= 1) || o.types.length === 0) return [];
  const rows = await sql.query<CommandRow>(CLAIM_EXPIRED_COMMANDS, [limit, iso(o.now), iso(o.leaseUntil), o.types, o.group]);
  return rows.map(rowToCommand).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
}

export async function findCommand(sql: SqlRunner, id: string): Promise<CommandRecord | null> {
  const [row] = await sql.query<CommandRow>(GET_COMMAND, [id]);
  return row ? rowToCommand(row) : null;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listCommands(sql: SqlRunner, query: CommandQuery = {}): Promise<Page<CommandRecord>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  if (query.status !== undefined) where.push(`status = ${param(query.status, '::text')}`);
  if (query.commandType !== undefined) where.push(`command_type = ${param(query.commandType, '::text')}`);
  if (query.correlationId !== undefined) where.push(`correlation_id = ${param(query.correlationId, '::text')}`);
  if (query.cursor !== undefined) {
    const key = decodeCursor(query.cursor);
    where.push(`(created_at, id) < (${param(iso(key.updatedAt), '::timestamptz')}, ${param(key.id, '::text')})`);
  }
  const limit = pageSize(query.limit);
  const rows = await sql.query<CommandRow>(
    `SELECT ${COLUMNS} FROM sagaflow_commands${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
    params,
  );
  const items = rows.slice(0, limit).map(rowToCommand);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ updatedAt: last.createdAt, id: last.id }) : null };
}
