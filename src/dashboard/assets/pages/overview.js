/**
 * @module dashboard/pages/overview
 *
 * What needs a look first (instances whose compensation failed, dead letters), then every saga with its
 * instances counted per state and status. Each count links to the instance list filtered to it. Counts
 * follow the live feed's `stats` events without a reload.
 */
import { api } from '../lib/api.js';
import { h, replace, flash } from '../lib/dom.js';
import { STATUSES } from '../lib/format.js';
import { onLive } from '../lib/live.js';
import { href } from '../lib/route.js';
import { consolePanels } from '../lib/console-panels.js';

/** The states to show for a saga, in definition order, then any the store has that it does not declare. */
function rowsOf(saga) {
  const states = [...saga.states];
  for (const { state } of saga.counts) if (!states.includes(state)) states.push(state);
  return states;
}

function countOf(saga, state, status) {
  return saga.counts.find((c) => c.state === state && c.status === status)?.count ?? 0;
}

function statusTotals(saga) {
  const totals = new Map(STATUSES.map((s) => [s, 0]));
  for (const c of saga.counts) totals.set(c.status, (totals.get(c.status) ?? 0) + c.count);
  return totals;
}

function sagaCard(saga) {
  const totals = statusTotals(saga);
  const link = (params, text, label) => h('a', { href: href('/instances', { saga: saga.name, ...params }), 'aria-label': label }, text);
  const rows = rowsOf(saga).map((state) => {
    const final = saga.finalStates.includes(state);
    const rowTotal = STATUSES.reduce((sum, status) => sum + countOf(saga, state, status), 0);
    return h(
      'tr',
      { class: rowTotal === 0 ? 'empty' : '', dataset: { state } },
      h('th', { scope: 'row' }, link({ state }, state), final ? h('span', { class: 'tag' }, 'final') : null),
      STATUSES.map((status) => {
        const count = countOf(saga, state, status);
        return h(
          'td',
          { class: 'num', dataset: { state, status } },
          count === 0 ? h('span', { class: 'zero' }, '·') : link({ state, status }, String(count), `${count} ${status} in ${state}`),
        );
      }),
      h('td', { class: 'num total' }, String(rowTotal)),
    );
  });
  return h(
    'section',
    { class: 'panel saga-card', dataset: { saga: saga.name } },
    h(
      'header',
      { class: 'card-head' },
      h('h2', {}, link({}, saga.name)),
      h('span', { class: 'saga-total', dataset: { total: String(saga.total) } }, `${saga.total} instance${saga.total === 1 ? '' : 's'}`),
      saga.states.length === 0 ? h('span', { class: 'badge badge-muted', title: 'Found in the store but not registered with this server' }, 'not registered') : null,
      saga.definitionVersion != null ? h('span', { class: 'badge badge-muted definition-version', title: 'The loaded definition version' }, `v${saga.definitionVersion}`) : null,
      saga.liveOnOlderVersions > 0
        ? h(
            'span',
            {
              class: 'badge status status-compensation_failed old-versions',
              dataset: { count: String(saga.liveOnOlderVersions) },
              title: (saga.versions ?? []).map((v) => `v${v.version}: ${v.live} live of ${v.total}`).join(', ') + ' (sagaflow instances migrate; docs/evolution.md)',
            },
            `${saga.liveOnOlderVersions} live on older versions`,
          )
        : null,
      h(
        'span',
        { class: 'status-totals' },
        STATUSES.filter((s) => totals.get(s) > 0).map((s) =>
          h('a', { class: `badge status status-${s}`, href: href('/instances', { saga: saga.name, status: s }) }, `${totals.get(s)} ${s.replace('_', ' ')}`),
        ),
      ),
    ),
    h(
      'div',
      { class: 'status-bar', role: 'img', 'aria-label': 'Instances by status' },
      STATUSES.filter((s) => totals.get(s) > 0).map((s) =>
        h('span', { class: `status-${s}`, style: `width: ${(100 * totals.get(s)) / Math.max(saga.total, 1)}%`, title: `${totals.get(s)} ${s.replace('_', ' ')}` }),
      ),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
      'table',
      { class: 'grid counts' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'State'), STATUSES.map((s) => h('th', { scope: 'col', class: 'num' }, s.replace('_', ' '))), h('th', { scope: 'col', class: 'num' }, 'total'))),
      h('tbody', {}, rows),
      ),
    ),
  );
}

/** How many dead letters wait: counted by the store, no letter downloaded. */
async function deadLetterCount() {
  const { count } = await api('dead-letters/count');
  return String(count);
}

function tile(key, label, value, link, tone) {
  return h('a', { class: `tile ${tone}`.trim(), href: link, dataset: { tile: key } }, h('span', { class: 'value' }, String(value)), h('span', { class: 'label' }, label));
}

/** What needs a look first, across every saga. */
function tiles(sagas, letters) {
  const count = (status) => sagas.reduce((sum, s) => sum + s.counts.filter((c) => c.status === status).reduce((n, c) => n + c.count, 0), 0);
  const total = sagas.reduce((sum, s) => sum + s.total, 0);
  const failed = count('compensation_failed');
  return h(
    'div',
    { class: 'tiles' },
    tile('total', 'instances', total, href('/instances')),
    tile('active', 'active', count('active'), href('/instances', { status: 'active' })),
    tile('compensation_failed', 'compensation failed: retry after fixing the cause', failed, href('/instances', { status: 'compensation_failed' }), failed > 0 ? 'alert' : ''),
    tile('dead-letters', 'dead letters: replay or discard', letters, href('/dead-letters'), letters !== '0' ? 'warn' : ''),
  );
}

function draw(view, sagas, letters, panels) {
  if (sagas.length === 0) {
    return replace(view, h('h1', {}, 'Sagas'), h('p', { class: 'muted' }, 'No saga is registered and the store holds no instances yet.'));
  }
  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, 'Sagas'), h('span', { class: 'muted' }, `${sagas.length} saga${sagas.length === 1 ? '' : 's'}`)),
    tiles(sagas, letters),
    panels.element,
    h('div', { class: 'cards' }, sagas.map(sagaCard)),
  );
}

/** Applies a `stats` body (counts of every saga) to the sagas; false when a saga appeared that we do not know. */
function applyStats(sagas, counts) {
  const bySaga = new Map(sagas.map((s) => [s.name, []]));
  for (const c of counts) {
    if (!bySaga.has(c.sagaName)) return false;
    bySaga.get(c.sagaName).push({ state: c.state, status: c.status, count: c.count });
  }
  for (const saga of sagas) {
    saga.counts = bySaga.get(saga.name);
    saga.total = saga.counts.reduce((sum, c) => sum + c.count, 0);
  }
  return true;
}

/** Renders the overview into `view`. */
export async function renderOverview(view, { signal }) {
  let [{ sagas }, letters] = await Promise.all([api('sagas'), deadLetterCount()]);
  if (signal.aborted) return;
  const panels = consolePanels(signal);
  draw(view, sagas, letters, panels);
  // Not awaited: the live listener below must be on before anything can change.
  void panels.refresh();
  onLive(
    'stats',
    async (body) => {
      const before = new Map(sagas.map((s) => [s.name, s.total]));
      if (!applyStats(sagas, body.counts ?? [])) ({ sagas } = await api('sagas'));
      // Dead letters have no event of their own; they change with the instances often enough.
      letters = await deadLetterCount();
      if (signal.aborted) return;
      draw(view, sagas, letters, panels);
      void panels.refresh();
      for (const saga of sagas) {
        if (before.get(saga.name) === saga.total) continue;
        const card = [...view.querySelectorAll('.saga-card')].find((c) => c.dataset.saga === saga.name);
        if (card) flash(card.querySelector('.saga-total'));
      }
    },
    signal,
  );
}
