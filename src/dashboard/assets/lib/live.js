/**
 * @module dashboard/lib/live
 *
 * The live feed: one EventSource on `/api/events` for the whole page. Pages subscribe to `instance`
 * (an instance summary whenever one is created, changes or is removed) and `stats` (the counts, at most
 * once a second). EventSource cannot send headers, so the token travels as `?access_token=`.
 *
 * EventSource reconnects by itself after a dropped connection, but gives up when the server answers with
 * an error (a 401 after the token changed, say): then one API call (which asks for a token if needed)
 * and a new connection, with a growing delay.
 */
import { api, apiUrl, onTokenChange, storedToken } from './api.js';

const listeners = { instance: new Set(), stats: new Set() };
let source = null;
let retryDelay = 1000;
let retryTimer = null;

function indicate(state) {
  const element = document.getElementById('live');
  if (!element) return;
  element.dataset.state = state;
  element.title = { on: 'Live: changes appear as they happen', connecting: 'Connecting to live updates…', off: 'Live updates unavailable; retrying' }[state];
}

function dispatch(type, event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return; // not ours to interpret
  }
  for (const listener of listeners[type]) {
    try {
      listener(data);
    } catch (error) {
      console.error(`live ${type} listener failed`, error);
    }
  }
}

function connect() {
  clearTimeout(retryTimer);
  source?.close();
  const url = apiUrl('events');
  const token = storedToken();
  if (token) url.searchParams.set('access_token', token);
  indicate('connecting');
  const current = new EventSource(url);
  source = current;
  current.addEventListener('open', () => {
    retryDelay = 1000;
    indicate('on');
  });
  current.addEventListener('instance', (event) => dispatch('instance', event));
  current.addEventListener('stats', (event) => dispatch('stats', event));
  current.addEventListener('error', () => {
    if (source !== current) return;
    if (current.readyState === EventSource.CONNECTING) return indicate('connecting');
    indicate('off');
    retryTimer = setTimeout(() => {
      api('meta').then(connect, connect);
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30_000);
  });
}

/** Opens the feed (once), and reopens it with a new token when the user signs in again. */
export function startLive() {
  if (source) return;
  onTokenChange(() => connect());
  connect();
}

/**
 * Listens to `instance` or `stats` until `signal` aborts (the page was left).
 *
 * @example
 * onLive('instance', (summary) => updateRow(summary), signal);
 */
export function onLive(type, listener, signal) {
  listeners[type].add(listener);
  signal?.addEventListener('abort', () => listeners[type].delete(listener), { once: true });
}
