/**
 * @module dashboard/pages/audit
 *
 * The audit trail: every operator's action across instances, newest first (`GET /api/audit`), with who,
 * what, why, and the instance before → after; filtered by saga, paged by cursor (both in the URL).
 */
import { api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { changeText } from '../lib/repair.js';
import { href, segment } from '../lib/route.js';
import { when } from '../lib/ui.js';

function row(entry) {
  return h(
    'tr',
    { dataset: { action: entry.action } },
    h('td', {}, when(entry.at)),
    h('td', { class: 'principal' }, entry.principal),
    h('td', {}, h('span', { class: 'badge operator-badge' }, entry.action)),
    h('td', {}, entry.sagaName),
    h('td', { class: 'mono' }, h('a', { href: href(`/instances/${segment(entry.instanceId)}`) }, entry.correlationId)),
    h('td', { class: 'mono small' }, changeText(entry.before, entry.after)),
    h('td', { class: 'reason' }, entry.reason),
  );
}

/** Renders the audit trail into `view`. */
export async function renderAudit(view, { route, signal }) {
  const saga = (route.params.get('saga') ?? '').trim();
  const cursor = route.params.get('cursor') ?? '';
  const query = new URLSearchParams({ limit: '50' });
  if (saga) query.set('saga', saga);
  if (cursor) query.set('cursor', cursor);
  const page = await api(`audit?${query}`);
  if (signal.aborted) return;
  const sagaInput = h('input', { type: 'text', name: 'saga', value: saga, placeholder: 'any saga' });
  replace(
    view,
    h('div', { class: 'page-head' }, h('h1', {}, 'Audit trail'), h('span', { class: 'muted', id: 'result-count' }, `${page.items.length} action${page.items.length === 1 ? '' : 's'}${page.nextCursor ? ' on this page' : ''}`)),
    h('p', { class: 'muted intro' }, "Operators' actions (send, transition, cancel, retries, replays, discards), each kept in its instance's history with who did it and why."),
    h('form', { class: 'filters', onsubmit: (e) => (e.preventDefault(), (location.hash = href('/audit', { saga: sagaInput.value.trim() }))) }, h('label', {}, 'Saga ', sagaInput)),
    page.items.length === 0
      ? h('p', { class: 'empty-state', id: 'no-results' }, cursor ? 'No more actions.' : 'No operator action recorded yet.')
      : h(
          'table',
          { class: 'grid audit', id: 'audit' },
          h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'Saga', 'Correlation id', 'Before → after', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, page.items.map(row)),
        ),
    h(
      'nav',
      { class: 'pager' },
      cursor ? h('a', { href: href('/audit', { saga }) }, '← First page') : null,
      page.nextCursor ? h('a', { class: 'next', href: href('/audit', { saga, cursor: page.nextCursor }) }, 'Next page →') : null,
    ),
  );
}
