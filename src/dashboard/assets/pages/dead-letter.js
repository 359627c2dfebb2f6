/**
 * @module dashboard/pages/dead-letter
 *
 * One dead letter: why it is here (reason, error code and message, replays so far), where it was going
 * (saga, correlation id, instance), and the envelope as it arrived. Replay sends it through again; a
 * replay that succeeds removes it, one that fails counts a replay and keeps it with the new error.
 * Both ask for a reason (kept in the audit record); a viewer, or a read-only server, gets a note instead.
 */
import { api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { formatDate } from '../lib/format.js';
import { href, segment } from '../lib/route.js';
import { jsonBlock, notify, section } from '../lib/ui.js';
import { actionButton, canAct, repairDialog, whyNot } from '../lib/repair.js';

function fact(label, ...value) {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, ...value));
}

function actions(letter, meta, reload) {
  const path = `dead-letters/${encodeURIComponent(letter.id)}`;
  const replay = async () => {
    const answer = await repairDialog({
      title: 'Replay dead letter',
      description: 'Sends it through again. If it fails again it stays here with the new error.',
      confirm: 'Replay',
      submit: (values) => api(`${path}/replay`, { method: 'POST', body: { reason: values.reason } }),
    });
    if (!answer) return;
    const outcome = answer.result?.outcome ?? 'done';
    notify(outcome === 'queued' ? 'Replay queued: the workers will deliver it.' : `Replayed: ${outcome}.`, 'ok');
    location.hash = href('/dead-letters');
  };
  const discard = async () => {
    const answer = await repairDialog({
      title: 'Discard dead letter',
      description: 'Removes it for good.',
      confirm: 'Discard for good',
      danger: true,
      submit: (values) => api(path, { method: 'DELETE', body: { reason: values.reason } }),
    });
    if (!answer) return;
    notify('Discarded.', 'ok');
    location.hash = href('/dead-letters');
  };
  const guarded = (action) => async () => {
    try {
      await action();
    } catch (error) {
      notify(`${error.code ?? 'Error'}: ${error.message}`, 'error');
      await reload();
    }
  };
  return h(
    'div',
    { class: 'actions' },
    actionButton(meta, { class: 'primary', id: 'replay', onclick: guarded(replay) }, 'Replay'),
    actionButton(meta, { class: 'danger', id: 'discard', onclick: guarded(discard) }, 'Discard'),
    canAct(meta) ? null : h('span', { class: 'muted small', id: 'actions-off' }, whyNot(meta)),
  );
}

/** Renders the dead letter named by the route into `view`. */
export async function renderDeadLetter(view, { route, meta, signal }) {
  const id = route.segments[1];
  const reload = async () => {
    const { deadLetter: letter } = await api(`dead-letters/${encodeURIComponent(id)}`);
    if (signal.aborted) return;
    replace(
      view,
      h(
        'header',
        { class: 'panel instance-head' },
        h(
          'div',
          { class: 'title-row' },
          h('div', {}, h('a', { class: 'crumb', href: href('/dead-letters') }, 'Dead letters'), h('h1', {}, letter.messageType ?? '(no type)')),
          actions(letter, meta, reload),
        ),
        h('div', { class: 'error-box', id: 'dead-letter-error' }, h('strong', {}, letter.errorCode), ' ', h('span', { class: `badge reason reason-${letter.reason}` }, letter.reason), h('p', {}, letter.errorMessage)),
        h(
          'dl',
          { class: 'facts' },
          fact('Saga', letter.sagaName ?? '—'),
          fact('Correlation id', h('span', { class: 'mono' }, letter.correlationId ?? '—')),
          fact('Instance', letter.instanceId ? h('a', { class: 'mono', href: href(`/instances/${segment(letter.instanceId)}`) }, letter.instanceId) : '—'),
          fact('Message id', h('span', { class: 'mono' }, letter.messageId ?? '—')),
          fact('Replays', h('span', { id: 'replays' }, String(letter.replays))),
          fact('Received', formatDate(letter.createdAt)),
          fact('Last failure', formatDate(letter.updatedAt)),
        ),
      ),
      section('Envelope', jsonBlock(letter.envelope, 'envelope')),
    );
  };
  await reload();
}
