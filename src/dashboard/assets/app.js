/**
 * @module dashboard/app
 *
 * The dashboard's entry point: reads `/api/meta` (read-only mode, version, who is signed in with which
 * role: the pages offer actions only to an operator), opens the live feed, and
 * renders the page the URL's hash names. Each page renders into a fresh container and gets an
 * AbortSignal that fires when the user navigates away, so a slow answer for a page that was left never
 * draws over the next one, and live listeners are dropped with their page.
 */
import { api } from './lib/api.js';
import { h, replace } from './lib/dom.js';
import { startLive } from './lib/live.js';
import { currentRoute } from './lib/route.js';
import { errorBox, loading, tickRelativeTimes } from './lib/ui.js';
import { renderOverview } from './pages/overview.js';
import { renderInstances } from './pages/instances.js';
import { renderInstance } from './pages/instance.js';
import { renderDeadLetters } from './pages/dead-letters.js';
import { renderDeadLetter } from './pages/dead-letter.js';
import { renderAudit } from './pages/audit.js';
import { renderSearch } from './pages/search.js';

/** Route table: first segment (and whether an id follows) → page. */
function pageFor(segments) {
  const [first, id] = segments;
  if (first === undefined) return { nav: 'overview', render: renderOverview };
  if (first === 'instances') return id === undefined ? { nav: 'instances', render: renderInstances } : { nav: 'instances', render: renderInstance };
  if (first === 'audit' && id === undefined) return { nav: 'audit', render: renderAudit };
  if (first === 'search' && id === undefined) return { nav: 'search', render: renderSearch };
  if (first === 'dead-letters') return id === undefined ? { nav: 'dead-letters', render: renderDeadLetters } : { nav: 'dead-letters', render: renderDeadLetter };
  return null;
}

let current = null;

async function show(meta) {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const route = currentRoute();
  const page = pageFor(route.segments);
  const main = document.getElementById('main');
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', link.dataset.nav === page?.nav);
  }
  const view = h('div', { class: 'view' }, loading());
  replace(main, view);
  if (!page) {
    replace(view, errorBox({ code: 'Not found', message: 'There is no such page.' }, 'Use the links above.'));
    return;
  }
  try {
    await page.render(view, { route, meta, signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) return;
    console.error(error);
    replace(view, errorBox(error, hintFor(error)));
  }
  main.dataset.ready = String(Date.now());
}

function hintFor(error) {
  if (error?.status === 404) return 'It may have been removed, or the link is wrong.';
  if (error instanceof TypeError) return 'The server did not answer. Is it running? Reload the page to try again.';
  return null;
}

async function start() {
  let meta = { readOnly: true, version: '' };
  try {
    meta = await api('meta');
  } catch (error) {
    replace(document.getElementById('main'), errorBox(error, hintFor(error) ?? 'Reload the page to try again.'));
    return;
  }
  document.body.classList.toggle('read-only', meta.readOnly);
  document.getElementById('read-only-badge').hidden = !meta.readOnly;
  document.getElementById('version').textContent = meta.version ? `v${meta.version}` : '';
  const who = document.getElementById('principal');
  if (meta.principal) {
    who.textContent = `${meta.principal.name} · ${meta.principal.role}`;
    who.title = `Signed in as ${meta.principal.name} (${meta.principal.role})`;
    who.dataset.role = meta.principal.role;
    who.hidden = false;
  }
  startLive();
  setInterval(tickRelativeTimes, 15_000);
  window.addEventListener('hashchange', () => show(meta));
  await show(meta);
}

start();
