/**
 * @module dashboard/pages/search
 *
 * Search by business data: conditions on the instances' data (`data.customerId = c-42`, one a line),
 * a correlation-id prefix, the definition version, created and updated ranges, saga and status. The
 * search lives in the URL (shareable, survives a reload); the answer shows the total that match, counted
 * by the store, above one page of them.
 */
import { api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { STATUSES } from '../lib/format.js';
import { href, segment } from '../lib/route.js';
import { errorBox, stateBadge, statusBadge, when } from '../lib/ui.js';

const PAGE_SIZE = 50;
const KEYS = ['saga', 'status', 'where', 'prefix', 'definitionVersion', 'createdAfter', 'createdBefore', 'updatedAfter', 'updatedBefore'];
const DATES = [
  ['createdAfter', 'Created from'],
  ['createdBefore', 'Created before'],
  ['updatedAfter', 'Updated from'],
  ['updatedBefore', 'Updated before'],
];

function searchOf(params) {
  const search = {};
  for (const key of KEYS) search[key] = (params.get(key) ?? '').trim();
  search.cursor = params.get('cursor') ?? '';
  return search;
}

/** `datetime-local` values are local times without a zone: the API takes ISO-8601 in UTC. */
function toIso(local) {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

function queryOf(search) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const line of search.where.split('\n').map((l) => l.trim()).filter(Boolean)) query.append('where', line);
  if (search.saga) query.set('saga', search.saga);
  if (search.status) query.set('status', search.status);
  if (search.prefix) query.set('prefix', search.prefix);
  if (search.definitionVersion) query.set('definitionVersion', search.definitionVersion);
  for (const [key] of DATES) if (search[key]) query.set(key, toIso(search[key]));
  if (search.cursor) query.set('cursor', search.cursor);
  return query.toString();
}

function form(search, sagas) {
  const field = (label, control) => h('label', { class: 'field' }, h('span', {}, label), control);
  const where = h('textarea', { name: 'where', rows: '3', placeholder: 'data.customerId = c-42\ndata.total > 100', spellcheck: 'false' }, search.where);
  const input = (name, attrs = {}) => h('input', { name, value: search[name], autocomplete: 'off', ...attrs });
  const controls = {
    saga: h('select', { name: 'saga' }, [['', 'all sagas'], ...sagas.map((s) => [s.name, s.name])].map(([v, t]) => h('option', { value: v, selected: v === search.saga }, t))),
    status: h('select', { name: 'status' }, [['', 'any status'], ...STATUSES.map((s) => [s, s.replace('_', ' ')])].map(([v, t]) => h('option', { value: v, selected: v === search.status }, t))),
    prefix: input('prefix', { type: 'search', placeholder: 'order-2026-' }),
    definitionVersion: input('definitionVersion', { type: 'number', min: '1', placeholder: 'any' }),
    ...Object.fromEntries(DATES.map(([key]) => [key, input(key, { type: 'datetime-local', step: '1' })])),
  };
  return h(
    'form',
    {
      class: 'filters search-form',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        const next = { where: where.value.trim() };
        for (const [key, control] of Object.entries(controls)) next[key] = control.value.trim();
        location.hash = href('/search', next);
      },
    },
    h('div', { class: 'filters-row' }, h('label', { class: 'field where' }, h('span', {}, 'Data conditions, one a line'), where)),
    h('div', { class: 'filters-row' }, field('Saga', controls.saga), field('Status', controls.status), field('Correlation id starts with', controls.prefix), field('Definition version', controls.definitionVersion)),
    h('div', { class: 'filters-row' }, DATES.map(([key, label]) => field(label, controls[key])), h('button', { type: 'submit', class: 'primary' }, 'Search'), h('a', { class: 'clear', href: href('/search') }, 'Clear')),
  );
}

function row(instance) {
  return h(
    'tr',
    { dataset: { id: instance.id } },
    h('td', { class: 'mono correlation' }, h('a', { href: href(`/instances/${segment(instance.id)}`) }, instance.correlationId)),
    h('td', {}, instance.sagaName),
    h('td', {}, stateBadge(instance.state)),
    h('td', {}, statusBadge(instance.status)),
    h('td', {}, `v${instance.definitionVersion}`),
    h('td', {}, when(instance.updatedAt)),
    h('td', {}, when(instance.createdAt)),
  );
}

/** Renders the search page into `view`. */
export async function renderSearch(view, { route, signal }) {
  const search = searchOf(route.params);
  const { sagas } = await api('sagas');
  if (signal.aborted) return;
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Search'));
  let result;
  try {
    result = await api(`search?${queryOf(search)}`);
  } catch (error) {
    if (signal.aborted) return;
    // A condition that does not parse is the user's to fix: keep the form, say what is wrong.
    replace(view, head, form(search, sagas), errorBox(error, error?.code === 'SAGA_FILTER_INVALID' ? 'Correct the conditions and search again.' : null));
    return;
  }
  if (signal.aborted) return;
  const keep = Object.fromEntries(KEYS.map((k) => [k, search[k]]));
  head.append(h('span', { class: 'muted', id: 'search-total', dataset: { total: String(result.total) } }, `${result.total} instance${result.total === 1 ? '' : 's'} match`));
  replace(
    view,
    head,
    form(search, sagas),
    result.items.length === 0
      ? h('p', { class: 'empty-state', id: 'no-results' }, 'No instance matches this search.')
      : h(
          'table',
          { class: 'grid instances search-results' },
          h('thead', {}, h('tr', {}, ['Correlation id', 'Saga', 'State', 'Status', 'Definition', 'Updated', 'Created'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, result.items.map(row)),
        ),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages' },
      search.cursor ? h('a', { href: href('/search', keep) }, '← First page') : null,
      result.nextCursor ? h('a', { class: 'next', href: href('/search', { ...keep, cursor: result.nextCursor }) }, 'Next page →') : null,
    ),
  );
}
