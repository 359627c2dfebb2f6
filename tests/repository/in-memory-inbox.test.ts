/**
 * The in-memory store's inbox (`hasMessage` over the history rows): hashes in the row headers first,
 * then the id compared inside the row's JSON text without building it; long histories answer from a set
 * of hashes confirmed on the rows. These are the cases where a shortcut could give a wrong answer.
 */
import { describe, expect, it } from 'vitest';
import { HistoryArena, NO_ROW } from '../../src/repository/history-arena.ts';
import { historyRow } from '../../src/repository/in-memory-history.ts';
import { appendHistory, hasMessage as hasIn, type HistoryHolder } from '../../src/repository/instance-history.ts';

const arena = new HistoryArena();
const hasMessage = (rows: HistoryHolder, id: string) => hasIn(arena, rows, id);
/** Whether the inbox answers from the hashes of a long history rather than walking the rows. */
const isLong = (rows: HistoryHolder) => rows.seen !== undefined;

function rowsOf(ids: readonly string[]): HistoryHolder {
  const rows: HistoryHolder = { history: NO_ROW, rows: 0, seen: undefined };
  ids.forEach((messageId, i) => {
    const row = historyRow({ instanceId: 'i-1', sequence: i + 1, messageId, eventType: 'Tick', stateBefore: 'A', stateAfter: 'A', payload: { n: i }, at: new Date(0) });
    appendHistory(arena, rows, row, messageId);
  });
  return rows;
}

describe('the in-memory inbox', () => {
  const awkward = ['plain', 'ünï-cödé', 'm"1', 'back\\slash', 'tab\there', 'nl\nx', '\u0001ctl', '😀-emoji', ''];

  for (const size of [1, 5, 40]) {
    const kind = size === 1 ? 'one row' : size <= 16 ? 'a short list' : 'a long history';
    it(`finds every recorded id and no other, in ${kind}, whatever JSON escapes in it`, () => {
      const ids = Array.from({ length: size }, (_, i) => `${awkward[i % awkward.length]}#${i}`);
      const rows = rowsOf(ids);
      expect(isLong(rows)).toBe(size > 16);
      for (const id of ids) expect(hasMessage(rows, id), id).toBe(true);
      // Prefixes and extensions of recorded ids, their JSON text, and the id without its escapes.
      for (const id of ids) {
        const others = [`${id}x`, id.slice(0, -1), JSON.stringify(id), `${id}"`].filter((o) => !ids.includes(o));
        for (const other of others) expect(hasMessage(rows, other), other).toBe(false);
      }
    });
  }

  it('answers no for an id whose hash collides with a recorded one', () => {
    // FNV-1a 32 of both is 0x66f8c88b: the hash matches, the rows decide.
    const rows = rowsOf(Array.from({ length: 20 }, (_, i) => (i === 7 ? 'msg-1122789' : `other-${i}`)));
    expect(isLong(rows)).toBe(true);
    expect(hasMessage(rows, 'msg-1122789')).toBe(true);
    expect(hasMessage(rows, 'msg-1339192')).toBe(false);
  });

  it('keeps answering as a short list becomes a long history', () => {
    const ids = Array.from({ length: 17 }, (_, i) => `m-${i}`);
    const short = rowsOf(ids.slice(0, 16));
    const long = rowsOf(ids);
    expect(isLong(short)).toBe(false);
    expect(isLong(long)).toBe(true);
    for (const id of ids.slice(0, 16)) expect([hasMessage(short, id), hasMessage(long, id)]).toEqual([true, true]);
    expect([hasMessage(short, 'm-16'), hasMessage(long, 'm-16')]).toEqual([false, true]);
  });

  it('records each added id in a long history, whether or not the inbox was asked about it just before', () => {
    // A write asks about its id, then adds it; the hash of the last id is reused only for the same id.
    const rows = rowsOf(Array.from({ length: 20 }, (_, i) => `m-${i}`));
    const add = (id: string) =>
      appendHistory(arena, rows, historyRow({ instanceId: 'i-1', sequence: 99, messageId: id, eventType: 'Tick', stateBefore: 'A', stateAfter: 'A', payload: null, at: new Date(0) }), id);
    add(''); // nothing asked yet
    expect(hasMessage(rows, 'asked')).toBe(false);
    add('added'); // asked about another id
    expect(hasMessage(rows, 'asked-and-added')).toBe(false);
    add('asked-and-added');
    for (const id of ['', 'added', 'asked-and-added']) expect(hasMessage(rows, id), JSON.stringify(id)).toBe(true);
  });
});
