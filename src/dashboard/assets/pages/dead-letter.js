/**
 * @module dashboard/pages/dead-letter
 *
 * One dead letter: why it is here (reason, error code and message, replays so far), where it was going
 * (saga, correlation id, instance), and the envelope as it arrived. Replay sends it through again; a
 * replay that succeeds removes it, one that fails counts a replay and keeps it with the new error.
 * Discard asks for a second click. Neither button exists in read-only mode.
 */
import { api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { formatDate } from '../lib/format.js';
import { href, segment } from '../lib/route.js';
import { jsonBlock, notify, section } from '../lib/ui.js';

function fact(label, ...value) {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, ...value));
}

function actions(letter, meta, reload) {
  if (meta.readOnly) return null;
  const path = `dead-letters/${encodeURIComponent(letter.id)}`;
  const busy = (button, text) => {
    button.disabled = true;
    button.textContent = text;
  };
  const replay = h('button', {
    class: 'primary',
    id: 'replay',
    type: 'button',
    onclick: async () => {
      busy(replay, 'Replaying…');
      try {
        const { result } = await api(`${path}/replay`, { method: 'POST' });
        const outcome = result?.outcome ?? 'done';
        notify(outcome === 'queued' ? 'Replay queued: the workers will deliver it.' : `Replayed: ${outcome}.`, 'ok');
        location.hash = href('/dead-letters');
      } catch (error) {
        notify(`Replay failed (${error.code}): ${error.message}`, 'error');
        await reload();
      }
    },
  }, 'Replay');
  const discard = h('button', {
    class: 'danger',
    id: 'discard',
    type: 'button',
    onclick: async () => {
      if (discard.dataset.confirm !== 'yes') {
        discard.dataset.confirm = 'yes';
        discard.textContent = 'Click again to discard for good';
        return;
      }
      busy(discard, 'Discarding…');
      try {
        await api(path, { method: 'DELETE' });
        notify('Discarded.', 'ok');
        location.hash = href('/dead-letters');
      } catch (error) {
        notify(`Discard failed (${error.code}): ${error.message}`, 'error');
        await reload();
      }
    },
  }, 'Discard');
  return h('div', { class: 'actions' }, replay, discard);
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
