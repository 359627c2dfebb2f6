/**
 * @module dashboard/lib/api
 *
 * Calls to the HTTP API, relative to the page (so the dashboard also works under a path prefix). When the
 * API answers 401, the user is asked for the token once (however many calls were refused at the same
 * time), it is kept in sessionStorage (this tab only, gone when it closes) and the calls are repeated with
 * `Authorization: Bearer`.
 */
import { askForToken } from './token-prompt.js';

const TOKEN_KEY = 'sagaflow.token';
const tokenListeners = new Set();

/** An error answer of the API: `{ error: { code, message, details? } }` and its HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The token this tab signed in with, if any. */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Calls `listener` whenever a new token is stored (the live feed reconnects with it). */
export function onTokenChange(listener) {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

/** An absolute URL for an API path such as `instances?saga=order`. */
export function apiUrl(path) {
  return new URL(`api/${path}`, document.baseURI);
}

let pendingPrompt = null;

/** Asks for a token (one dialog for any number of refused calls) and stores it. */
async function renewToken(refused) {
  pendingPrompt ??= askForToken(refused ? 'The server refused that token. Check it and try again.' : null)
    .then((token) => {
      sessionStorage.setItem(TOKEN_KEY, token);
      for (const listener of tokenListeners) listener(token);
    })
    .finally(() => {
      pendingPrompt = null;
    });
  return pendingPrompt;
}

async function request(path, { method = 'GET', body, accept = 'application/json' } = {}) {
  for (;;) {
    const token = storedToken();
    const headers = { accept };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      // Another call may have stored a fresh token meanwhile; then just repeat with it.
      if (storedToken() === token) await renewToken(token !== null);
      continue;
    }
    if (!response.ok) throw await toError(response);
    return response;
  }
}

async function toError(response) {
  let error = null;
  try {
    error = (await response.json())?.error ?? null;
  } catch {
    // Not the API's JSON (a proxy's error page, say): the status is all there is.
  }
  return new ApiError(
    response.status,
    error?.code ?? `HTTP_${response.status}`,
    error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
    error?.details,
  );
}

/**
 * GETs (or sends) JSON.
 *
 * @example
 * const { sagas } = await api('sagas');
 * await api(`dead-letters/${id}/replay`, { method: 'POST' });
 */
export async function api(path, options = {}) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

/** GETs text (diagrams). */
export async function apiText(path) {
  const response = await request(path, { accept: 'text/plain' });
  return response.text();
}
