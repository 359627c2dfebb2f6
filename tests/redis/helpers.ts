/**
 * Shared by the Redis tests: a unique key prefix per file, an admin connection, and clean-up.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(label: string): string {
  return `sagaflow-test-h19b-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under the prefix's hash tag. */
export async function deleteKeys(admin: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 500);
    if (keys.length > 0) deleted += await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** Closes the connections whose client name is `name` (as a restart or a network cut would). */
export async function killClients(admin: Redis, name: string): Promise<number> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /\bid=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
  return ids.length;
}
