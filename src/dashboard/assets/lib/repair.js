/**
 * @module dashboard/lib/repair
 *
 * What an operator's actions share: whether the signed-in principal may act (`canAct`: not in read-only
 * mode, not the viewer role), buttons only for those who may act (a note says why for the others), and the action
 * dialog. Every action asks for a reason (kept in the audit record); the dialog stays open on a refusal
 * and shows the server's answer there, and a two-step action (a bulk dry run, then its confirmation)
 * keeps it open between the steps.
 */
import { h, replace } from './dom.js';

/** True when this principal may act: the server is not read-only and the role is operator. */
export function canAct(meta) {
  return !meta.readOnly && (meta.principal?.role ?? 'operator') === 'operator';
}

/** Why actions are off, for a disabled button's tooltip and the page's note. */
export function whyNot(meta) {
  if (meta.readOnly) return 'The server is read-only: actions are disabled.';
  return `Signed in as ${meta.principal?.name ?? 'unknown'} with the ${meta.principal?.role ?? 'viewer'} role, which may read but not act.`;
}

/** An action button for an operator; nothing for anyone else (the page shows `whyNot` once instead). */
export function actionButton(meta, props, label) {
  return canAct(meta) ? h('button', { type: 'button', ...props }, label) : null;
}

function field(spec) {
  const id = `repair-${spec.name}`;
  let input;
  if (spec.kind === 'select') {
    input = h('select', { id, name: spec.name }, spec.options.map(([value, text]) => h('option', { value, selected: value === spec.value }, text)));
  } else if (spec.kind === 'textarea') {
    input = h('textarea', { id, name: spec.name, rows: spec.rows ?? 5, placeholder: spec.placeholder ?? '', spellcheck: 'false', class: spec.json ? 'mono' : '' });
    if (spec.value) input.value = spec.value;
  } else {
    input = h('input', { id, name: spec.name, type: 'text', value: spec.value ?? '', placeholder: spec.placeholder ?? '' });
  }
  if (spec.onchange) input.addEventListener('change', () => spec.onchange(input.value, input.form));
  return h('div', { class: 'field' }, h('label', { for: id }, spec.label), input, spec.hint ? h('p', { class: 'muted small' }, spec.hint) : null);
}

/**
 * Opens the action dialog. `submit(values)` runs the action: it may throw (the error is shown, the dialog
 * stays), return `{ again: { message, confirm } }` to ask for a second step, or return anything else to
 * close the dialog with that result. Resolves with the last result, or `null` when the user cancelled.
 *
 * @example
 * await repairDialog({ title: 'Cancel instance', confirm: 'Cancel it', danger: true, submit: (v) => api(path, { method: 'POST', body: v }) });
 */
export function repairDialog({ title, description, fields = [], confirm = 'Apply', danger = false, submit }) {
  return new Promise((resolve) => {
    const error = h('p', { class: 'error-text', id: 'repair-error', role: 'alert', hidden: true });
    const step = h('div', { class: 'repair-step', id: 'repair-step', hidden: true });
    const reason = h('textarea', { id: 'repair-reason', name: 'reason', rows: 2, maxlength: 1000, placeholder: 'Why? Kept in the audit record.' });
    const ok = h('button', { type: 'submit', class: danger ? 'danger confirm' : 'primary', id: 'repair-submit', dataset: danger ? { confirm: 'yes' } : {} }, confirm);
    const cancel = h('button', { type: 'button', id: 'repair-cancel' }, 'Close');
    const form = h(
      'form',
      { method: 'dialog', class: 'repair-form' },
      h('h2', {}, title),
      description ? h('p', {}, description) : null,
      fields.map(field),
      h('div', { class: 'field' }, h('label', { for: 'repair-reason' }, 'Reason (required)'), reason),
      step,
      error,
      h('div', { class: 'actions' }, cancel, ok),
    );
    const dialog = h('dialog', { class: 'repair-dialog', id: 'repair-dialog', 'aria-label': title }, form);
    document.body.append(dialog);
    let last = null;
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => close(last && last.again ? null : last));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(null);
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      const values = Object.fromEntries(new FormData(form).entries());
      values.reason = String(values.reason ?? '').trim();
      if (!values.reason) {
        error.textContent = 'Say why: the reason is kept in the audit record.';
        error.hidden = false;
        reason.focus();
        return;
      }
      ok.disabled = true;
      try {
        last = await submit(values, last);
        if (last && last.again) {
          replace(step, last.again.message);
          step.hidden = false;
          ok.textContent = last.again.confirm;
          ok.disabled = last.again.confirm === null;
          return;
        }
        close(last);
      } catch (failure) {
        error.textContent = `${failure.code ?? 'Error'}: ${failure.message ?? failure}`;
        error.hidden = false;
        ok.disabled = false;
      }
    });
    dialog.showModal();
    (form.querySelector('select, textarea, input') ?? reason).focus();
  });
}

/** JSON from a text field: `undefined` when empty; throws a readable error when it is not JSON. */
export function parseJsonField(text, what) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    throw Object.assign(new Error(`${what} is not valid JSON.`), { code: 'Not JSON' });
  }
}

/** A starting payload for an event from its JSON schema: each property with an empty value of its type. */
export function skeleton(schema) {
  const empty = { string: '', number: 0, integer: 0, boolean: false, array: [], object: {} };
  const properties = schema?.properties ?? {};
  return Object.fromEntries(Object.entries(properties).map(([name, p]) => [name, empty[p?.type] ?? null]));
}

/** Required properties of the schema the payload leaves out (the server checks the rest). */
export function missingRequired(schema, payload) {
  if (!schema?.required || payload === null || typeof payload !== 'object') return [];
  return schema.required.filter((name) => !(name in payload));
}

/** A compact before → after of an audit record: state, status, version. */
export function changeText(before, after) {
  const one = (s) => (s ? `${s.state} · ${String(s.status).replace('_', ' ')} · v${s.version}` : '(none)');
  return `${one(before)} → ${after ? one(after) : '(removed)'}`;
}
