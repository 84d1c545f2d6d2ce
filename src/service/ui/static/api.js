// @ts-check
// The UI's only way to the server: the JSON API with `Authorization: Bearer <token>`. The token is
// pasted once and kept in sessionStorage (this tab) or, when asked, localStorage (this browser).

const KEY = "hirewire.token";

/** The token in use, if any. */
export function getToken() {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
}

/**
 * Keeps the token for later calls.
 * @param {string} token
 * @param {boolean} remember keep it in localStorage, across browser restarts
 */
export function setToken(token, remember) {
  clearToken();
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

/** An error answer of the API: `{code, message, path?, problems?}` plus the HTTP status. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ code?: string, message?: string, path?: string, problems?: Array<{ path: string, message: string }> }} body
   */
  constructor(status, body) {
    super(body.message ?? `the server answered ${status}`);
    this.status = status;
    this.code = body.code ?? `HTTP_${status}`;
    this.path = body.path;
    this.problems = body.problems;
  }
}

/** Called when the server refuses the token, so the app can ask for a new one. */
let onUnauthorized = () => {};

/** @param {() => void} handler */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/**
 * Sends a request to the API and answers the parsed JSON body (undefined for 204).
 * @param {string} method
 * @param {string} path e.g. `/api/runs`
 * @param {unknown} [body] sent as JSON when given
 * @param {{ signal?: AbortSignal, headers?: Record<string, string> }} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, body, options = {}) {
  const response = await send(method, path, body, options);
  const text = await response.text();
  return text === "" ? undefined : JSON.parse(text);
}

/**
 * Downloads a file through the API (the token cannot ride on a plain link) and saves it.
 * @param {string} path
 * @param {string} name
 */
export async function download(path, name) {
  const response = await send("GET", path, undefined, {});
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} body
 * @param {{ signal?: AbortSignal, headers?: Record<string, string> }} options
 */
async function send(method, path, body, options) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json", ...options.headers };
  const token = getToken();
  if (token !== null) headers.authorization = `Bearer ${token}`;
  /** @type {RequestInit} */
  const init = { method, headers };
  if (options.signal !== undefined) init.signal = options.signal;
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.ok) return response;
  const text = await response.text();
  /** @type {any} */
  let parsed = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { message: text || `the server answered ${response.status}` };
  }
  if (response.status === 401) onUnauthorized();
  throw new ApiError(response.status, parsed);
}
