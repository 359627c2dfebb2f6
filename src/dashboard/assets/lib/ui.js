/**
 * @module dashboard/lib/ui
 *
 * Small pieces every page uses: badges, JSON blocks, dates, error boxes, notices.
 */
import { h } from './dom.js';
import { formatDate, prettyJson, timeAgo } from './format.js';

/** A status as a coloured badge (`data-status` for styles and tests). */
export function statusBadge(status) {
  return h('span', { class: `badge status status-${status}`, dataset: { status } }, String(status).replace('_', ' '));
}

/** A state name as a badge. */
export function stateBadge(state) {
  return h('span', { class: 'badge state' }, state);
}

/** A relative time with the exact local time as its tooltip. */
export function when(iso) {
  return h('time', { class: 'relative', datetime: iso ?? '', title: formatDate(iso) }, timeAgo(iso));
}

/** Refreshes every relative time on the page ("12 s ago" keeps telling the truth). */
export function tickRelativeTimes() {
  for (const element of document.querySelectorAll('time.relative')) element.textContent = timeAgo(element.getAttribute('datetime'));
}

/** JSON as preformatted text (never parsed as markup). */
export function jsonBlock(value, className = '') {
  return h('pre', { class: `json ${className}`.trim() }, prettyJson(value));
}

/** JSON behind a disclosure, for payloads that may be long. */
export function expandable(summary, value) {
  return h('details', { class: 'expandable' }, h('summary', {}, summary), jsonBlock(value));
}

/** An error box: what went wrong (code and message), and optionally what to do. */
export function errorBox(error, hint) {
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    h('strong', {}, error?.code ?? 'Error'),
    ' ',
    h('span', {}, error?.message ?? String(error)),
    hint ? h('p', { class: 'muted' }, hint) : null,
  );
}

/** A "loading" placeholder. */
export function loading(what = 'Loading…') {
  return h('p', { class: 'muted loading' }, what);
}

/**
 * A notice at the top of the page that fades after a few seconds (`kind`: `ok` or `error`).
 *
 * @example
 * notify('Replayed: dispatched', 'ok');
 */
export function notify(text, kind = 'ok') {
  const region = document.getElementById('notices');
  const notice = h('div', { class: `notice notice-${kind}` }, text);
  region.append(notice);
  setTimeout(() => notice.remove(), kind === 'error' ? 10_000 : 5000);
}

/** A section with a heading. */
export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}
