/**
 * @module dashboard/pages/instance
 *
 * One instance: its header (saga, correlation id, state, status, version, times, error), the timeline of
 * its history (event, state before → after, time, payload, messages sent), its data, its compensation
 * stack (top first), pending schedules, and the saga's diagram with the current state highlighted. The
 * repairs (send an event, transition, cancel, retry a failed compensation) are in the header, each asking
 * for a reason (lib/repair); a viewer sees a note saying why there are none. Operators' actions stand out in the
 * timeline: who, why, before → after. The page reloads itself when the live feed reports a newer version.
 */
import { api } from '../lib/api.js';
import { flash, h, replace } from '../lib/dom.js';
import { formatDate } from '../lib/format.js';
import { renderDiagram } from '../lib/diagram.js';
import { onLive } from '../lib/live.js';
import { href } from '../lib/route.js';
import { errorBox, expandable, jsonBlock, notify, section, stateBadge, statusBadge, when } from '../lib/ui.js';
import { repairActions } from './instance-actions.js';
import { changeText } from '../lib/repair.js';

function fact(label, ...value) {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, ...value));
}

function header(instance, meta, actions) {
  return h(
    'header',
    { class: 'instance-head panel' },
    h(
      'div',
      { class: 'title-row' },
      h('div', {}, h('a', { class: 'crumb', href: href('/instances', { saga: instance.sagaName }) }, instance.sagaName), h('h1', { class: 'mono', id: 'correlation-id' }, instance.correlationId)),
      h('div', { class: 'title-badges' }, stateBadge(instance.state), statusBadge(instance.status)),
    ),
    actions,
    h(
      'dl',
      { class: 'facts' },
      fact('Version', h('span', { id: 'instance-version' }, String(instance.version))),
      fact('Created', formatDate(instance.createdAt)),
      fact('Updated', formatDate(instance.updatedAt), ' (', when(instance.updatedAt), ')'),
      fact('Completed', formatDate(instance.completedAt)),
      fact('Definition version', h('span', { id: 'instance-definition-version' }, `v${instance.definitionVersion ?? instance.dataVersion ?? 1}`)),
      fact('Id', h('span', { class: 'mono' }, instance.id)),
    ),
    instance.error
      ? h(
          'div',
          { class: 'error-box', id: 'instance-error' },
          h('strong', {}, instance.error.code),
          instance.error.step ? h('span', { class: 'muted' }, ` in step ${instance.error.step}`) : null,
          h('p', {}, instance.error.message),
          h('p', { class: 'muted' }, formatDate(instance.error.at)),
        )
      : null,
  );
}

const KIND_LABEL = { publish: 'published', send: 'sent', schedule: 'scheduled' };

function timeline(history, older) {
  if (history.length === 0) return h('p', { class: 'muted' }, 'No history.');
  // Newest first: what happened last is what one usually looks for.
  const list = h(
    'ol',
    { class: 'timeline', id: 'timeline' },
    [...history].reverse().map((entry) => {
      const operator = entry.eventType.startsWith('sagaflow.operator.');
      const internal = !operator && entry.eventType.startsWith('sagaflow.');
      const sent = entry.sent ?? [];
      if (operator) return operatorEntry(entry);
      return h(
        'li',
        { class: internal ? 'internal' : '', dataset: { sequence: String(entry.sequence) } },
        h(
          'div',
          { class: 'tl-head' },
          h('span', { class: 'seq' }, `#${entry.sequence}`),
          h('strong', { class: 'event-type' }, entry.eventType),
          h('span', { class: 'transition' }, entry.stateBefore ?? '(new)', ' → ', entry.stateAfter),
          h('time', { datetime: entry.at, title: entry.at }, formatDate(entry.at)),
        ),
        sent.length
          ? h(
              'ul',
              { class: 'sent' },
              sent.map((m) => h('li', { title: `message ${m.messageId}` }, h('span', { class: `kind kind-${m.kind}` }, KIND_LABEL[m.kind] ?? m.kind), ' ', m.type)),
            )
          : null,
        entry.payload !== undefined && entry.payload !== null ? expandable('payload', entry.payload) : null,
        h('div', { class: 'muted small mono' }, `message ${entry.messageId}`),
      );
    }),
  );
  // The API sends the newest page; older rows come a page at a time, on request.
  return older ? h('div', {}, list, h('button', { type: 'button', class: 'older', id: 'older-history', onclick: older }, 'Show older events')) : list;
}

/** An operator's action in the timeline: who, the action, why, and the instance before → after. */
function operatorEntry(entry) {
  const record = entry.payload ?? {};
  return h(
    'li',
    { class: 'operator', dataset: { sequence: String(entry.sequence), action: record.action ?? '' } },
    h(
      'div',
      { class: 'tl-head' },
      h('span', { class: 'seq' }, `#${entry.sequence}`),
      h('span', { class: 'badge operator-badge' }, 'operator'),
      h('strong', { class: 'event-type' }, record.action ?? entry.eventType),
      h('span', {}, 'by ', h('strong', { class: 'principal' }, record.principal ?? 'unknown')),
      h('time', { datetime: entry.at, title: entry.at }, formatDate(entry.at)),
    ),
    h('p', { class: 'audit-reason' }, '“', record.reason ?? '', '”'),
    h('div', { class: 'audit-change mono small' }, changeText(record.before, record.after)),
    record.details !== undefined ? expandable('details', record.details) : null,
  );
}

function compensationStack(entries) {
  if (!entries?.length) return h('p', { class: 'muted' }, 'Empty: nothing to undo.');
  return h(
    'ol',
    { class: 'stack', id: 'compensation-stack' },
    [...entries].reverse().map((entry, index) =>
      h(
        'li',
        { dataset: { name: entry.name } },
        h('div', {}, h('strong', {}, entry.name), index === 0 ? h('span', { class: 'tag' }, 'top') : null, entry.attempts ? h('span', { class: 'muted' }, ` ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}`) : null),
        jsonBlock(entry.args, 'compact'),
      ),
    ),
  );
}

function schedules(entries) {
  if (!entries?.length) return h('p', { class: 'muted' }, 'None pending.');
  return h(
    'table',
    { class: 'grid', id: 'schedules' },
    h('thead', {}, h('tr', {}, ['Key', 'Event', 'Due', 'Token'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, entries.map((s) => h('tr', {}, h('td', { class: 'mono' }, s.key), h('td', {}, s.type), h('td', {}, formatDate(s.dueAt), ' (', when(s.dueAt), ')'), h('td', { class: 'mono small' }, s.token)))),
  );
}

/** Renders the instance named by the route into `view`. */
export async function renderInstance(view, { route, meta, signal }) {
  const id = route.segments[1];
  const diagram = h('div', { class: 'diagram', id: 'diagram' });
  let shown = null;
  // Older pages the user asked for, kept across live reloads (which fetch the newest page again).
  let olderRows = [];
  let olderBefore = undefined;

  const draw = (detail) => {
    const { instance } = detail;
    const newest = detail.history;
    const firstNewest = newest[0]?.sequence ?? Infinity;
    const history = [...olderRows.filter((e) => e.sequence < firstNewest), ...newest];
    const before = olderRows.length ? olderBefore : detail.historyBefore;
    const stateChanged = shown?.instance.state !== instance.state || shown?.instance.sagaName !== instance.sagaName;
    shown = detail;
    replace(
      view,
      header(instance, meta, repairActions(instance, meta, reload)),
      h(
        'div',
        { class: 'instance-grid' },
        h('div', { class: 'col' }, section(`Timeline (${history.length} of ${instance.version})`, timeline(history, before ? () => loadOlder(before) : null))),
        h(
          'div',
          { class: 'col' },
          section('State diagram', diagram),
          section('Data', jsonBlock(instance.data, 'data')),
          section('Compensation stack', compensationStack(instance.compensation)),
          section('Pending schedules', schedules(instance.schedules)),
        ),
      ),
    );
    if (stateChanged) renderDiagram(diagram, instance.sagaName, instance.state);
  };

  const reload = async () => {
    const detail = await api(`instances/${encodeURIComponent(id)}`);
    if (!signal.aborted) draw(detail);
  };

  async function loadOlder(before) {
    const page = await api(`instances/${encodeURIComponent(id)}?historyBefore=${before}`);
    if (signal.aborted) return;
    olderRows = [...page.history, ...olderRows];
    olderBefore = page.historyBefore;
    draw(shown);
  }

  await reload();
  onLive(
    'instance',
    (summary) => {
      if (summary.id !== id || !shown) return;
      if (summary.removed) {
        view.prepend(errorBox({ code: 'Removed', message: 'This instance was removed from the store (its saga removes finished instances).' }));
        return;
      }
      if (summary.version > shown.instance.version) {
        reload().then(() => flash(view.querySelector('.instance-head')), () => {});
      }
    },
    signal,
  );
}
