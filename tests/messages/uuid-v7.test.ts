import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/messages/uuid-v7.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('produces RFC 9562 version 7 ids that carry their creation time', () => {
    const at = Date.UTC(2026, 10, 22, 5, 0, 14, 866);
    const id = uuidv7(at);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('is unique and sorts in creation order, also many within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7(Date.UTC(2030, 0, 1)));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(UUID_V7);
  });

  it('never goes backwards when the clock does', () => {
    const later = uuidv7(Date.UTC(2031, 0, 1));
    const earlier = uuidv7(Date.UTC(2020, 0, 1));
    expect(earlier > later).toBe(true);
  });
});
