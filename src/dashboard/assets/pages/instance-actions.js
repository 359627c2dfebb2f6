/**
 * @module dashboard/pages/instance-actions
 *
 * The repairs of one instance, as the header's action bar: send an event (a form built from the event's
 * JSON schema, checked here for required fields and by the server against the schema), transition to a
 * declared state (with an optional data patch), cancel (compensate now, end faulted), and retry a failed
 * compensation. Each asks for a reason and names the version shown, so a change made meanwhile is
 * refused rather than overwritten. A viewer, or anyone on a read-only server, sees a note instead.
 */
import { api } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { actionButton, canAct, missingRequired, parseJsonField, repairDialog, skeleton, whyNot } from '../lib/repair.js';
import { notify } from '../lib/ui.js';

const FINISHED = new Set(['completed', 'faulted']);

/** The action bar for `instance`; `reload` redraws the page after an action. */
export function repairActions(instance, meta, reload) {
  const path = `instances/${encodeURIComponent(instance.id)}`;
  let form = null;
  const repairForm = async () => (form ??= await api(`sagas/${encodeURIComponent(instance.sagaName)}/repair`));
  const done = async (text, kind = 'ok') => {
    notify(text, kind);
    await reload();
  };

  const send = async () => {
    const { events } = await repairForm();
    if (!events.length) return notify('This saga handles no events.', 'error');
    const payload = (type) => JSON.stringify(skeleton(events.find((e) => e.type === type)?.schema), null, 2);
    const result = await repairDialog({
      title: 'Send an event',
      description: `Delivered to ${instance.correlationId} only, through the saga's own handler (guards, actions and compensation apply).`,
      fields: [
        { name: 'type', label: 'Event', kind: 'select', options: events.map((e) => [e.type, e.type]), onchange: (type, f) => (f.elements.payload.value = payload(type)) },
        { name: 'payload', label: 'Payload (JSON, checked against the event schema)', kind: 'textarea', json: true, rows: 7, value: payload(events[0].type) },
      ],
      confirm: 'Send',
      submit: (values) => {
        const body = parseJsonField(values.payload, 'The payload') ?? {};
        const missing = missingRequired(events.find((e) => e.type === values.type)?.schema, body);
        if (missing.length) throw Object.assign(new Error(`the payload needs ${missing.join(', ')}`), { code: 'SAGA_PAYLOAD_INVALID' });
        return api(`${path}/send`, { method: 'POST', body: { type: values.type, payload: body, reason: values.reason, expectedVersion: instance.version } });
      },
    });
    if (result) await done(`Sent ${result.audit?.details?.type ?? 'the event'}: now ${result.instance?.state ?? 'removed'}.`);
  };

  const transition = async () => {
    const { states } = await repairForm();
    const result = await repairDialog({
      title: 'Transition',
      description: 'Move the instance to a declared state. Nothing of the saga runs; the state’s timeouts are set as on entering it.',
      fields: [
        { name: 'state', label: 'To state', kind: 'select', options: states.filter((s) => s !== instance.state).map((s) => [s, s]) },
        { name: 'patch', label: 'Data patch (optional JSON object of top-level fields, checked against the saga’s schema)', kind: 'textarea', json: true, rows: 4, placeholder: '{ "field": "value" }' },
      ],
      confirm: 'Transition',
      submit: (values) => {
        const patch = parseJsonField(values.patch, 'The data patch');
        return api(`${path}/transition`, { method: 'POST', body: { state: values.state, ...(patch !== undefined && { patch }), reason: values.reason, expectedVersion: instance.version } });
      },
    });
    if (result) await done(`Moved to ${result.instance?.state}.`);
  };

  const cancel = async () => {
    const result = await repairDialog({
      title: 'Cancel instance',
      description: `Runs its ${instance.compensation?.length ?? 0} compensation step(s) now, last first, and ends it faulted.`,
      confirm: 'Cancel the instance',
      danger: true,
      submit: (values) => api(`${path}/cancel`, { method: 'POST', body: { reason: values.reason, expectedVersion: instance.version } }),
    });
    if (result) await done(result.error ? `A compensation step failed: ${result.error.message ?? result.error}` : `Cancelled: ${result.steps} step(s) compensated.`, result.error ? 'error' : 'ok');
  };

  const retry = async () => {
    const answer = await repairDialog({
      title: 'Retry compensation',
      description: 'Resumes the compensation from the step that failed.',
      confirm: 'Retry',
      submit: (values) => api(`${path}/retry-compensation`, { method: 'POST', body: { reason: values.reason } }),
    });
    if (answer) await done(answer.result?.error ? `Compensation failed again: ${answer.result.error.message ?? answer.result.error}` : 'Compensation resumed.', answer.result?.error ? 'error' : 'ok');
  };

  const guard = (action) => async () => {
    try {
      await action();
    } catch (error) {
      notify(`${error.code ?? 'Error'}: ${error.message}`, 'error');
    }
  };
  const live = !FINISHED.has(instance.status);
  const buttons = [
    actionButton(meta, { id: 'action-send', onclick: guard(send), disabled: !live }, 'Send event'),
    actionButton(meta, { id: 'action-transition', onclick: guard(transition), disabled: instance.status === 'compensating' }, 'Transition'),
    live && instance.status !== 'compensating' ? actionButton(meta, { id: 'action-cancel', class: 'danger', onclick: guard(cancel) }, 'Cancel') : null,
    instance.status === 'compensation_failed' ? actionButton(meta, { id: 'retry-compensation', class: 'primary', onclick: guard(retry) }, 'Retry compensation') : null,
  ];
  return h('div', { class: 'actions instance-actions', id: 'instance-actions' }, buttons, canAct(meta) ? null : h('span', { class: 'muted small', id: 'actions-off' }, whyNot(meta)));
}
