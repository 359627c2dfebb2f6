/**
 * @module dashboard/pages/dead-letters
 *
 * Dead letters, oldest first, filtered by reason, saga or message type (kept in the URL), paged by cursor.
 * Each row links to the letter's page, where it can be replayed or discarded.
 */
import { api } from '../lib/api.js';
import { bulkLettersButton } from './bulk-actions.js';
import { h, replace } from '../lib/dom.js';
import { DEAD_LETTER_REASONS } from '../lib/format.js';
import { href, segment } from '../lib/route.js';
import { when } from '../lib/ui.js';

const PAGE_SIZE = 50;
const FILTER_KEYS = ['reason', 'saga', 'type'];

function row(letter) {
  return h(
    'tr',
    { dataset: { id: letter.id } },
    h('td', {}, h('a', { href: href(`/dead-letters/${segment(letter.id)}`) }, letter.messageType ?? '(no type)')),
    h('td', {}, h('span', { class: `badge reason reason-${letter.reason}` }, letter.reason)),
    h('td', {}, letter.sagaName ?? '—'),
    h('td', { class: 'mono' }, letter.correlationId ?? '—'),
    h('td', { class: 'error-cell' }, h('span', { class: 'mono' }, letter.errorCode), ' ', h('span', { class: 'muted' }, letter.errorMessage)),
    h('td', { class: 'num' }, String(letter.replays)),
    h('td', {}, when(letter.createdAt)),
  );
}

function filterForm(filters) {
  const go = (changes) => (location.hash = href('/dead-letters', { ...filters, ...changes }));
  const saga = h('input', { type: 'text', name: 'saga', value: filters.saga, placeholder: 'any saga' });
  const type = h('input', { type: 'text', name: 'type', value: filters.type, placeholder: 'any message type' });
  return h(
    'form',
    {
      class: 'filters',
      onsubmit: (event) => {
        event.preventDefault();
        go({ saga: saga.value.trim(), type: type.value.trim() });
      },
    },
    h(
      'label',
      { class: 'field' },
      h('span', {}, 'Reason'),
      h(
        'select',
        { name: 'reason', onchange: (e) => go({ reason: e.target.value }) },
        [['', 'any reason'], ...DEAD_LETTER_REASONS.map((r) => [r, r])].map(([v, t]) => h('option', { value: v, selected: v === filters.reason }, t)),
      ),
    ),
    h('label', { class: 'field' }, h('span', {}, 'Saga'), saga),
    h('label', { class: 'field' }, h('span', {}, 'Message type'), type),
    h('div', { class: 'field' }, h('span', {}, '\u00a0'), h('button', { type: 'submit' }, 'Filter')),
    FILTER_KEYS.some((k) => filters[k]) ? h('a', { class: 'clear', href: href('/dead-letters') }, 'Clear filters') : null,
  );
}

/** Renders the dead-letter list into `view`. */
export async function renderDeadLetters(view, { route, meta, signal }) {
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, (route.params.get(k) ?? '').trim()]));
  const cursor = route.params.get('cursor') ?? '';
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const key of FILTER_KEYS) if (filters[key]) query.set(key, filters[key]);
  if (cursor) query.set('cursor', cursor);
  const page = await api(`dead-letters?${query}`);
  if (signal.aborted) return;
  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, 'Dead letters'), h('span', { class: 'muted', id: 'result-count' }, `${page.items.length} letter${page.items.length === 1 ? '' : 's'}${page.nextCursor ? ' on this page' : ''}`), h('span', { class: 'spacer' }), bulkLettersButton(meta, filters, () => window.dispatchEvent(new HashChangeEvent('hashchange')))),
    h('p', { class: 'muted intro' }, 'Messages that could never succeed, kept with the reason. Open one to replay it (after fixing the cause) or discard it.'),
    filterForm(filters),
    page.items.length === 0
      ? h('p', { class: 'empty-state', id: 'no-results' }, cursor ? 'No more letters.' : 'No dead letter matches. All good.')
      : h(
          'table',
          { class: 'grid dead-letters' },
          h('thead', {}, h('tr', {}, ['Message type', 'Reason', 'Saga', 'Correlation id', 'Error', 'Replays', 'Received'].map((t) => h('th', { scope: 'col', class: t === 'Replays' ? 'num' : null }, t)))),
          h('tbody', {}, page.items.map(row)),
        ),
    h(
      'nav',
      { class: 'pager' },
      cursor ? h('a', { href: href('/dead-letters', filters) }, '← First page') : null,
      page.nextCursor ? h('a', { class: 'next', href: href('/dead-letters', { ...filters, cursor: page.nextCursor }) }, 'Next page →') : null,
    ),
  );
}
