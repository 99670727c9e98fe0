// The API, on this page's own origin: fetch with the session's tokens, problems (RFC 9457)
// thrown as ApiError, and on a 401 one refresh of the session and one retry.
// The access token lives in memory only; the refresh token in sessionStorage (this tab).

const REFRESH_KEY = "tenantry.console.refresh";
let accessToken = null;
let refreshing = null;
let onEnded = () => {};

// A refused or failed request. `detail` is a sentence for people; branch on `code`.
export class ApiError extends Error {
  constructor({ status = 0, code = "network_error", detail, body = {}, retryAfter = null }) {
    super(detail);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body;
    this.field = body.field || null;
    this.retryAfter = retryAfter;
  }

  // Worth repeating as it is: the database was busy, the data kept changing, the network failed.
  get retryable() {
    return ["service_unavailable", "conflict", "network_error", "too_many_requests"].includes(this.code);
  }
}

// The session is over (its handler has been told why); callers show nothing more.
export class SessionEnded extends Error {
  constructor() {
    super("The session ended.");
    this.sessionEnded = true;
  }
}

// Called once with the ApiError that ended the session (a refused refresh).
export function onSessionEnded(handler) {
  onEnded = handler;
}

function storedRefresh() {
  try {
    return sessionStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

function keep(tokens) {
  accessToken = tokens.access_token;
  try {
    sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
  } catch {
    // Without storage the session lasts as long as this page.
  }
}

// Forgets the session's tokens (the server is told separately, by logout).
export function forget() {
  accessToken = null;
  try {
    sessionStorage.removeItem(REFRESH_KEY);
  } catch {
    // Nothing stored.
  }
}

export function hasSession() {
  return Boolean(accessToken || storedRefresh());
}

function generic(status) {
  if (status === 429) return "Too many requests at once. Wait a moment, then try again.";
  if (status >= 500) return "The API could not answer this request. Try again in a moment.";
  return "The API refused this request.";
}

async function send(method, path, body, token) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError({ detail: "The console could not reach the API. Check the connection, then try again." });
  }
  let data = null;
  if ((response.headers.get("Content-Type") || "").includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (response.ok) return data;
  const problem = data && typeof data === "object" ? data : {};
  const header = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  throw new ApiError({
    status: response.status,
    code: typeof problem.code === "string" ? problem.code : response.status === 429 ? "too_many_requests" : `status_${response.status}`,
    detail: typeof problem.detail === "string" && problem.detail ? problem.detail : generic(response.status),
    body: problem,
    retryAfter: Number.isFinite(header) ? header : Number.isFinite(problem.retry_after) ? problem.retry_after : null,
  });
}

function ended(err) {
  forget();
  onEnded(err);
  return new SessionEnded();
}

// Exchanges the refresh token for new tokens, once at a time (a refresh token works once:
// two racing exchanges would revoke the session).
export function refresh() {
  if (!refreshing) {
    refreshing = exchange().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function exchange() {
  const token = storedRefresh();
  if (!token) {
    accessToken = null;
    throw new SessionEnded();
  }
  try {
    keep(await send("POST", "/auth/refresh", { refresh_token: token }));
  } catch (err) {
    if (err.status === 401 || err.status === 400) throw ended(err);
    throw err;
  }
}

// An authenticated call: the body of a 2xx answer, else an ApiError or SessionEnded.
export async function call(method, path, body) {
  if (!accessToken) await refresh();
  const used = accessToken;
  try {
    return await send(method, path, body, used);
  } catch (err) {
    if (err.status !== 401) throw err;
  }
  // Refreshed meanwhile by another request: retry with its token.
  if (accessToken === used) await refresh();
  try {
    return await send(method, path, body, accessToken);
  } catch (err) {
    if (err.status === 401) throw ended(err);
    throw err;
  }
}

export async function login(tenant, username, password) {
  forget();
  keep(await send("POST", "/auth/login", { tenant, username, password }));
}

const t = (tenant) => `/tenants/${encodeURIComponent(tenant)}`;
const u = (tenant, id) => `${t(tenant)}/users/${encodeURIComponent(id)}`;
const query = (params) => {
  const entries = Object.entries(params).filter(([, v]) => v != null && v !== "");
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
};

export const api = {
  me: () => call("GET", "/me"),
  logout: () => call("POST", "/auth/logout"),
  logoutAll: () => call("POST", "/auth/logout-all"),
  createTenant: (body) => call("POST", "/tenants", body),
  tenant: (tenant) => call("GET", t(tenant)),
  updateTenant: (tenant, body) => call("PATCH", t(tenant), body),
  transfer: (tenant, newOwnerId) => call("POST", `${t(tenant)}/ownership`, { new_owner_id: newOwnerId }),
  audit: (tenant, cursor, limit = 25) => call("GET", `${t(tenant)}/audit${query({ limit, cursor })}`),
  users: (tenant, { state = "active", cursor, limit = 20 } = {}) =>
    call("GET", `${t(tenant)}/users${query({ state, limit, cursor })}`),
  user: (tenant, id) => call("GET", u(tenant, id)),
  createUser: (tenant, body) => call("POST", `${t(tenant)}/users`, body),
  updateUser: (tenant, id, body) => call("PATCH", u(tenant, id), body),
  deleteUser: (tenant, id) => call("DELETE", u(tenant, id)),
  restoreUser: (tenant, id) => call("POST", `${u(tenant, id)}/restore`),
  purgeUser: (tenant, id) => call("POST", `${u(tenant, id)}/purge`),
  setPassword: (tenant, id, body) => call("POST", `${u(tenant, id)}/password`, body),
};
