/**
 * @module prisma/statement-name
 * Names for prepared statements, derived from the SQL text: PostgreSQL then parses and plans each of the
 * repository's statements once per connection instead of on every call.
 */
import { createHash } from 'node:crypto';

const names = new Map<string, string>();

/** @example statementName('SELECT 1') // 'sagaflow_e1a7b4…' (same text, same name) */
export function statementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `sagaflow_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    // The repository's statements are a small fixed set; the bound only guards against misuse.
    if (names.size < 10_000) names.set(sql, name);
  }
  return name;
}
