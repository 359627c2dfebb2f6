/**
 * @module dashboard/lib/console-panels
 *
 * The overview's operator panels, below the tiles: stuck instances (counts per saga and kind, and the
 * ones that changed longest ago), dead letters counted by reason and by type, and per saga over the last
 * hour the events applied, the instances compensated and the failures. Each panel loads on its own, so
 * a slow one never holds the others back; `refresh()` reloads them (the overview calls it on live stats).
 */
import { api } from './api.js';
import { h, replace } from './dom.js';
import { href, segment } from './route.js';
import { stateBadge, when } from './ui.js';

/** Least time between two reloads of the panels. */
const REFRESH_MS = 3000;

const KIND_LABELS = Object.freeze({
  idle: 'idle, nothing pending',
  compensation_failed: 'compensation failed',
  lease_expired: 'compensation lease ran out',
});

function panel(key, title, ...children) {
  return h('section', { class: 'panel console-panel', dataset: { panel: key } }, h('h2', {}, title), ...children);
}

function table(className, headers, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'muted empty-panel' }, empty);
  return h(
    'table',
    { class: `grid ${className}` },
    h('thead', {}, h('tr', {}, headers.map(([text, num]) => h('th', { scope: 'col', class: num ? 'num' : null }, text)))),
    h('tbody', {}, rows),
  );
}

function stuckPanel(report) {
  const counts = report.counts.map((c) =>
    h('tr', { dataset: { saga: c.sagaName, kind: c.kind } }, h('td', {}, c.sagaName), h('td', {}, KIND_LABELS[c.kind] ?? c.kind), h('td', { class: 'num count' }, String(c.count))),
  );
  const items = report.items.slice(0, 8).map((i) =>
    h(
      'tr',
      { dataset: { id: i.id, kind: i.kind } },
      h('td', { class: 'mono' }, h('a', { href: href(`/instances/${segment(i.id)}`) }, i.correlationId)),
      h('td', {}, i.sagaName),
      h('td', {}, stateBadge(i.state)),
      h('td', {}, KIND_LABELS[i.kind] ?? i.kind),
      h('td', {}, when(i.updatedAt)),
    ),
  );
  return panel(
    'stuck',
    `Stuck instances (${report.total})`,
    table('stuck-counts', [['Saga'], ['Kind'], ['Count', true]], counts, 'Nothing is stuck.'),
    items.length ? h('h3', { class: 'panel-sub' }, 'Longest without a change') : null,
    items.length ? table('stuck-items', [['Correlation id'], ['Saga'], ['State'], ['Kind'], ['Updated']], items, '') : null,
  );
}

function deadLetterPanel(counts) {
  const reasonRows = counts.byReason.map((r) =>
    h('tr', { dataset: { reason: r.reason } }, h('td', {}, h('a', { href: href('/dead-letters', { reason: r.reason }) }, r.reason)), h('td', { class: 'num count' }, String(r.count))),
  );
  const typeRows = counts.byType.map((t) =>
    h(
      'tr',
      { dataset: { type: t.type ?? '' } },
      h('td', { class: 'mono' }, t.type === null ? h('span', { class: 'muted' }, '(not an envelope)') : h('a', { href: href('/dead-letters', { type: t.type }) }, t.type)),
      h('td', { class: 'num count' }, String(t.count)),
    ),
  );
  return panel(
    'dead-letters',
    `Dead letters (${counts.total})`,
    counts.total === 0
      ? h('p', { class: 'muted empty-panel' }, 'No dead letters.')
      : h('div', { class: 'panel-columns' }, table('by-reason', [['Reason'], ['Count', true]], reasonRows, ''), table('by-type', [['Type'], ['Count', true]], typeRows, '')),
  );
}

function throughputPanel(report) {
  const rows = report.sagas.map((s) =>
    h(
      'tr',
      { dataset: { saga: s.sagaName } },
      h('td', {}, h('a', { href: href('/instances', { saga: s.sagaName }) }, s.sagaName)),
      h('td', { class: 'num applied' }, String(s.applied)),
      h('td', { class: 'num compensated' }, String(s.compensated)),
      h('td', { class: `num failed ${s.failed > 0 ? 'alert-text' : ''}`.trim(), title: `${s.compensationFailed} compensation failures, ${s.deadLettered} dead letters` }, String(s.failed)),
    ),
  );
  return panel(
    'throughput',
    'Last hour',
    table('throughput', [['Saga'], ['Events applied', true], ['Compensated', true], ['Failed', true]], rows, 'No saga is registered and nothing happened in the last hour.'),
  );
}

function failed(key, title, error) {
  return panel(key, title, h('p', { class: 'error-text' }, `${error?.code ?? 'Error'}: ${error?.message ?? String(error)}`));
}

/**
 * The panels' container; call `refresh()` to (re)load them.
 *
 * @example
 * const panels = consolePanels(signal); view.append(panels.element); panels.refresh();
 */
export function consolePanels(signal) {
  const element = h('div', { class: 'console-panels' });
  const slots = ['stuck', 'dead-letters', 'throughput'].map((key) => h('div', { class: 'console-slot', dataset: { slot: key } }));
  element.append(...slots);
  const load = async (slot, path, render, title) => {
    try {
      const body = await api(path);
      if (!signal.aborted) replace(slot, render(body));
    } catch (error) {
      if (!signal.aborted) replace(slot, failed(slot.dataset.slot, title, error));
    }
  };
  const loadAll = () =>
      Promise.all([
        load(slots[0], 'stuck?limit=8', stuckPanel, 'Stuck instances'),
        load(slots[1], 'dead-letters/counts', deadLetterPanel, 'Dead letters'),
        load(slots[2], 'throughput', throughputPanel, 'Last hour'),
      ]).then(() => {
        if (!signal.aborted) element.dataset.ready = 'true';
      });
  // Live stats can arrive every second: reload at most every few seconds, and once more after a burst.
  let last = 0;
  let timer = null;
  const refresh = () => {
    const wait = last + REFRESH_MS - Date.now();
    if (wait <= 0) {
      last = Date.now();
      return loadAll();
    }
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        if (!signal.aborted) void refresh();
      }, wait);
    }
    return Promise.resolve();
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  return { element, refresh };
}
