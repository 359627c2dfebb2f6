/**
 * @module dashboard/pages/instances
 *
 * The instance list: filters (saga, state, status, staleness), search by correlation id, pages by
 * cursor. The filters live in the URL, so a filtered list can be shared and survives a reload. Rows
 * follow the live feed: a changed instance updates its row in place, a new one that matches the filters
 * appears on the first page.
 */
import { api } from '../lib/api.js';
import { flash, h, replace } from '../lib/dom.js';
import { STALE_CHOICES, STATUSES, parseStale } from '../lib/format.js';
import { onLive } from '../lib/live.js';
import { href, segment } from '../lib/route.js';
import { stateBadge, statusBadge, when } from '../lib/ui.js';
import { bulkInstancesButton } from './bulk-actions.js';

const PAGE_SIZE = 50;
const FILTER_KEYS = ['saga', 'state', 'status', 'stale', 'correlationId', 'order'];

/** The filters in the URL, cleaned up. */
function filtersOf(params) {
  const filters = {};
  for (const key of FILTER_KEYS) filters[key] = (params.get(key) ?? '').trim();
  filters.statuses = filters.status ? filters.status.split(',').filter((s) => STATUSES.includes(s)) : [];
  filters.cursor = params.get('cursor') ?? '';
  return filters;
}

/** The API query for the filters. */
function queryOf(filters) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filters.saga) query.set('saga', filters.saga);
  if (filters.state) query.set('state', filters.state);
  if (filters.statuses.length) query.set('status', filters.statuses.join(','));
  if (filters.correlationId) query.set('correlationId', filters.correlationId);
  const stale = parseStale(filters.stale);
  if (stale !== null) query.set('staleForMs', String(stale));
  if (filters.order === 'asc') query.set('order', 'asc');
  if (filters.cursor) query.set('cursor', filters.cursor);
  return query.toString();
}

/** Whether a live summary belongs on this page (a stale filter never matches something that just changed). */
function matches(summary, filters) {
  if (summary.removed) return false;
  if (filters.saga && summary.sagaName !== filters.saga) return false;
  if (filters.state && summary.state !== filters.state) return false;
  if (filters.statuses.length && !filters.statuses.includes(summary.status)) return false;
  if (filters.correlationId && summary.correlationId !== filters.correlationId) return false;
  return !filters.stale;
}

function row(instance) {
  const link = href(`/instances/${segment(instance.id)}`);
  return h(
    'tr',
    { dataset: { id: instance.id, version: String(instance.version) } },
    h('td', { class: 'mono correlation' }, h('a', { href: link }, instance.correlationId)),
    h('td', {}, instance.sagaName),
    h('td', { class: 'cell-state' }, stateBadge(instance.state)),
    h('td', { class: 'cell-status' }, statusBadge(instance.status)),
    h('td', { class: 'num' }, String(instance.version)),
    h('td', {}, when(instance.updatedAt)),
    h('td', {}, when(instance.createdAt)),
    h('td', { class: 'mono error-code' }, instance.error?.code ?? ''),
  );
}

function filterForm(filters, sagas) {
  const go = (changes) => {
    const next = { ...filters, ...changes, cursor: '' };
    location.hash = href('/instances', Object.fromEntries(FILTER_KEYS.map((k) => [k, next[k]]).concat([['cursor', next.cursor]])));
  };
  const known = sagas.find((s) => s.name === filters.saga);
  const states = known ? rowsOfSaga(known) : [...new Set(sagas.flatMap(rowsOfSaga))].sort();
  if (filters.state && !states.includes(filters.state)) states.push(filters.state);
  const select = (name, label, options, value, onchange) =>
    h(
      'label',
      { class: 'field' },
      h('span', {}, label),
      h('select', { name, onchange }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
    );
  const search = h('input', { type: 'search', name: 'correlationId', value: filters.correlationId, placeholder: 'exact correlation id', autocomplete: 'off' });
  return h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        go({ correlationId: search.value.trim() });
      },
    },
    h(
      'div',
      { class: 'filters-row' },
      h('label', { class: 'field search' }, h('span', {}, 'Correlation id'), h('span', { class: 'search-row' }, search, h('button', { type: 'submit' }, 'Search'))),
      select('saga', 'Saga', [['', 'all sagas'], ...sagas.map((s) => [s.name, s.name])], filters.saga, (e) => go({ saga: e.target.value, state: '' })),
      select('state', 'State', [['', 'any state'], ...states.map((s) => [s, s])], filters.state, (e) => go({ state: e.target.value })),
      select('stale', 'Last change', STALE_CHOICES, filters.stale, (e) => go({ stale: e.target.value })),
      select('order', 'Order', [['', 'recently updated first'], ['asc', 'least recently updated first']], filters.order, (e) => go({ order: e.target.value })),
    ),
    h(
      'div',
      { class: 'filters-row' },
      h(
      'fieldset',
      { class: 'field statuses' },
      h('legend', {}, 'Status'),
      STATUSES.map((status) =>
        h(
          'label',
          { class: `check status-${status}` },
          h('input', {
            type: 'checkbox',
            name: 'status',
            value: status,
            checked: filters.statuses.includes(status),
            onchange: (e) => {
              const chosen = new Set(filters.statuses);
              if (e.target.checked) chosen.add(status);
              else chosen.delete(status);
              go({ status: STATUSES.filter((s) => chosen.has(s)).join(',') });
            },
          }),
          status.replace('_', ' '),
        ),
      ),
    ),
      Object.values(filters).some((v) => (Array.isArray(v) ? v.length : v))
        ? h('a', { class: 'clear', href: href('/instances') }, 'Clear filters')
        : null,
    ),
  );
}

function rowsOfSaga(saga) {
  return [...new Set([...saga.states, ...saga.counts.map((c) => c.state)])];
}

/** Renders the instance list into `view`. */
export async function renderInstances(view, { route, meta, signal }) {
  const filters = filtersOf(route.params);
  // The total that match, counted by the store: the same filters through the search route, one row.
  const totalQuery = new URLSearchParams(queryOf({ ...filters, cursor: '', order: '' }));
  totalQuery.set('limit', '1');
  const [{ sagas }, page, { total }] = await Promise.all([api('sagas'), api(`instances?${queryOf(filters)}`), api(`search?${totalQuery}`)]);
  if (signal.aborted) return;
  const body = h('tbody', {}, page.items.map(row));
  const shown = page.items.length === total ? `${total}` : `${page.items.length} of ${total}`;
  const summary = h('span', { class: 'muted', id: 'result-count', dataset: { total: String(total) } }, `${shown} instance${total === 1 ? '' : 's'}${page.nextCursor ? ' (this page)' : ''}`);
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    filters.cursor ? h('a', { href: href('/instances', { ...pick(filters), cursor: '' }) }, '← First page') : null,
    page.nextCursor ? h('a', { class: 'next', href: href('/instances', { ...pick(filters), cursor: page.nextCursor }) }, 'Next page →') : null,
  );
  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, 'Instances'), summary, h('span', { class: 'spacer' }), bulkInstancesButton(meta, { ...filters, staleForMs: parseStale(filters.stale) }, () => window.dispatchEvent(new HashChangeEvent('hashchange')))),
    filterForm(filters, sagas),
    page.items.length === 0 && !filters.cursor
      ? h('p', { class: 'empty-state', id: 'no-results' }, 'No instance matches these filters.')
      : null,
    h(
      'table',
      { class: 'grid instances', hidden: page.items.length === 0 },
      h('thead', {}, h('tr', {}, ['Correlation id', 'Saga', 'State', 'Status', 'Version', 'Updated', 'Created', 'Error'].map((t) => h('th', { scope: 'col', class: t === 'Version' ? 'num' : null }, t)))),
      body,
    ),
    pager,
  );
  onLive(
    'instance',
    (summary) => {
      const existing = [...body.rows].find((r) => r.dataset.id === summary.id);
      if (existing) {
        if (summary.removed) {
          existing.classList.add('removed');
          existing.title = 'This instance was removed';
          return;
        }
        if (Number(existing.dataset.version) >= summary.version) return;
        const next = row(summary);
        if (!matches(summary, filters)) {
          next.classList.add('stale-row');
          next.title = 'Changed since the list was loaded; no longer matches the filters';
        }
        existing.replaceWith(next);
        flash(next);
        return;
      }
      // New rows only belong at the top of the first page of the newest-first list.
      if (filters.cursor || filters.order === 'asc' || !matches(summary, filters)) return;
      const next = row(summary);
      body.prepend(next);
      view.querySelector('table.instances').hidden = false;
      view.querySelector('#no-results')?.remove();
      flash(next);
    },
    signal,
  );
}

function pick(filters) {
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, filters[k]]));
}
