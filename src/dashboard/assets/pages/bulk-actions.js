/**
 * @module dashboard/pages/bulk-actions
 *
 * "Act on all matching…" for the instance and dead-letter lists: the list's filter, an action and a
 * reason; a dry run first, which shows how many match (and some ids); then a confirmation that sends
 * that count, so the server refuses if the filter matches another number by then. The outcome of each
 * item is reported.
 */
import { api } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { actionButton, canAct, repairDialog } from '../lib/repair.js';
import { notify } from '../lib/ui.js';

function dryRunText(result, noun) {
  const more = result.count > result.sample.length ? ', …' : '';
  return result.count === 0
    ? `No ${noun} matches: nothing to do.`
    : `${result.count} ${noun}${result.count === 1 ? '' : 's'} match${result.count === 1 ? 'es' : ''}: ${result.sample.join(', ')}${more}`;
}

async function runBulk({ title, description, actions, noun, url, filter, reload }) {
  const result = await repairDialog({
    title,
    description,
    fields: [{ name: 'action', label: 'Action', kind: 'select', options: actions }],
    confirm: 'Count (dry run)',
    submit: async (values, previous) => {
      const body = { filter, reason: values.reason };
      if (!previous?.again || previous.action !== values.action) {
        const dry = await api(url(values.action), { method: 'POST', body: { ...body, dryRun: true } });
        const label = actions.find(([value]) => value === values.action)?.[1] ?? values.action;
        return { again: { message: dryRunText(dry, noun), confirm: dry.count ? `${label}: ${dry.count}` : null }, action: values.action, count: dry.count };
      }
      return api(url(values.action), { method: 'POST', body: { ...body, expectCount: previous.count } });
    },
  });
  if (!result) return;
  notify(`${result.succeeded} of ${result.count} done${result.failed ? `, ${result.failed} failed (${result.items.find((i) => !i.ok)?.error?.code})` : ''}.`, result.failed ? 'error' : 'ok');
  await reload?.();
}

/** The bulk button of the instance list, over its filters (saga, state, status, correlation id, staleness as `staleForMs`). */
export function bulkInstancesButton(meta, filters, reload) {
  const filter = {
    ...(filters.saga && { saga: filters.saga }),
    ...(filters.state && { state: filters.state }),
    ...(filters.statuses.length && { status: filters.statuses }),
    ...(filters.correlationId && { correlationId: filters.correlationId }),
    ...(filters.staleForMs != null && { staleForMs: filters.staleForMs }),
  };
  const props = { id: 'bulk-instances', class: 'bulk' };
  if (!canAct(meta)) return null;
  return actionButton(
    meta,
    {
      ...props,
      onclick: () =>
        runBulk({
          title: 'Act on all matching instances',
          description: `Filter: ${Object.entries(filter).map(([k, v]) => `${k}=${v}`).join(', ') || 'every instance'}. Only instances the action applies to are counted.`,
          actions: [['cancel', 'Cancel'], ['retry-compensation', 'Retry compensation']],
          noun: 'instance',
          url: (action) => `bulk/instances/${action}`,
          filter,
          reload,
        }).catch((error) => notify(`${error.code ?? 'Error'}: ${error.message}`, 'error')),
    },
    'Act on all matching…',
  );
}

/** The bulk button of the dead-letter list, over its filters (reason, saga, type). */
export function bulkLettersButton(meta, filters, reload) {
  const filter = { ...(filters.reason && { reason: filters.reason }), ...(filters.saga && { saga: filters.saga }), ...(filters.type && { type: filters.type }) };
  return actionButton(
    meta,
    {
      id: 'bulk-dead-letters',
      class: 'bulk',
      onclick: () =>
        runBulk({
          title: 'Act on all matching dead letters',
          description: `Filter: ${Object.entries(filter).map(([k, v]) => `${k}=${v}`).join(', ') || 'every dead letter'}.`,
          actions: [['replay', 'Replay'], ['discard', 'Discard']],
          noun: 'dead letter',
          url: (action) => `bulk/dead-letters/${action}`,
          filter,
          reload,
        }).catch((error) => notify(`${error.code ?? 'Error'}: ${error.message}`, 'error')),
    },
    'Act on all matching…',
  );
}
