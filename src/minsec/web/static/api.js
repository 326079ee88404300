// The API client of the dashboard: the bearer token (sessionStorage of this tab), JSON
// requests, and errors in the API's shape {"error": {"message", "field", "hint"}}.

const TOKEN_KEY = "minsec.token";
const ME_KEY = "minsec.me";
const NOTICE_KEY = "minsec.notice";

/** An error answered by the API (or the network), with the API's message, field, hint. */
export class ApiError extends Error {
  constructor(status, message, field = null, hint = null) {
    super(message);
    this.status = status;
    this.field = field;
    this.hint = hint;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function me() {
  const text = sessionStorage.getItem(ME_KEY);
  return text ? JSON.parse(text) : null;
}

/** Keep the token and who it belongs to (after /api/v1/me accepted it). */
export function signIn(tok, who) {
  sessionStorage.setItem(TOKEN_KEY, tok);
  sessionStorage.setItem(ME_KEY, JSON.stringify(who));
}

/** Forget the token; `notice` is shown on the login page. */
export function signOut(notice = null) {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ME_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  else sessionStorage.removeItem(NOTICE_KEY);
}

/** The message left for the login page (read once). */
export function takeNotice() {
  const text = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return text;
}

let onUnauthorized = () => {};
/** What to do when the API answers 401 to a signed-in user (go back to login). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** Query string from an object (null/undefined/"" left out). */
export function qs(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === "") continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/**
 * Call the API. `path` starts with /api/v1; `options.params` become the query string,
 * `options.body` is sent as JSON, `options.headers` are added (e.g. If-Match).
 * Resolves to the parsed JSON (null for 204).
 */
export async function api(path, options = {}) {
  const { method = "GET", params = null, body = undefined, tokenOverride = null } = options;
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const tok = tokenOverride ?? token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path + qs(params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (exc) {
    throw new ApiError(0, "The server could not be reached.", null,
      "Check that `minsec serve` is running and the network is up, then try again.");
  }
  if (response.status === 204) return null;
  let payload = null;
  const text = await response.text();
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const err = payload && payload.error ? payload.error : {};
    const error = new ApiError(
      response.status,
      err.message || `The server answered ${response.status} ${response.statusText}.`,
      err.field || null,
      err.hint || null,
    );
    if (response.status === 401 && !tokenOverride) {
      signOut(`Your session ended: ${error.message} Paste a valid token to continue.`);
      onUnauthorized();
    }
    throw error;
  }
  return payload;
}

/** GET a data endpoint; resolves to {meta, data}. */
export function table(path, params = null) {
  return api(path, { params });
}
