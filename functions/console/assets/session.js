// Who is signed in, the tenant in view, and noticing when the session ends elsewhere:
// GET /me every 10 seconds and whenever the window gets focus. A deleted, demoted or
// signed-out account's tokens stop working, so the poll's refresh fails and the session ends.

import { api, forget, hasSession, login, onSessionEnded, refresh } from "./api.js";

export const session = {
  me: null, // the caller, as GET /me answers it (with its allowed_actions)
  picked: null, // the tenant a super admin opened
  recent: [], // tenants a super admin opened, newest first (this page's memory only)
  message: null, // {text, kind: "alert" | "status"}: why the last session ended, for the sign-in screen
  lastTenant: "", // prefills the sign-in form
};

const listeners = new Set();

// fn(event): "signed-in", "ended", "changed" (the caller's role, ownership or names changed,
// or a super admin opened another tenant).
export function subscribe(fn) {
  listeners.add(fn);
}

function emit(event) {
  for (const fn of listeners) fn(event);
}

// Super admins sign in to the platform tenant and open the others by id.
export function isPlatform() {
  return session.me?.tenant_id === "platform";
}

// The tenant the screens show: the caller's own, or the one a super admin opened.
export function tenant() {
  if (!session.me) return null;
  return isPlatform() ? session.picked : session.me.tenant_id;
}

export function pick(tenantId) {
  session.picked = tenantId;
  session.recent = [tenantId, ...session.recent.filter((t) => t !== tenantId)].slice(0, 8);
  emit("changed");
}

async function loadMe() {
  session.me = await api.me();
  session.lastTenant = session.me.tenant_id;
  session.message = null;
  startPolling();
  emit("signed-in");
}

export async function signIn(tenantId, username, password) {
  session.lastTenant = tenantId;
  await login(tenantId, username, password);
  await loadMe();
}

// After a reload: the refresh token in sessionStorage opens a new access token. False when
// there is no session to resume.
let resuming = false;
export async function resume() {
  if (!hasSession()) return false;
  resuming = true;
  try {
    await refresh();
    await loadMe();
  } finally {
    resuming = false;
  }
  return true;
}

// Ends the session on this page (the API has been told, or already knows) and says why.
export function end(text, kind = "alert") {
  stopPolling();
  forget();
  session.me = null;
  session.picked = null;
  session.recent = [];
  session.message = { text, kind };
  emit("ended");
}

// Signs out of this session. If the API cannot be told, the page forgets the session anyway.
export async function signOut() {
  try {
    await api.logout();
  } catch (err) {
    if (err.sessionEnded) return;
    end("You signed out of this page, but the API could not be told: the session ends when its tokens expire.", "status");
    return;
  }
  end("You signed out.", "status");
}

// Ends every session of the caller, everywhere (its problems are thrown to the caller).
export async function signOutEverywhere() {
  await api.logoutAll();
  end("You signed out everywhere: every session of yours ended.", "status");
}

onSessionEnded((err) => {
  if (session.me || resuming) end(`Your session ended: ${err.detail}`);
});

let timer = null;
let polling = false;

function startPolling() {
  stopPolling();
  timer = setInterval(poll, 10000);
  window.addEventListener("focus", poll);
}

function stopPolling() {
  if (timer !== null) clearInterval(timer);
  timer = null;
  window.removeEventListener("focus", poll);
}

const watched = ["role", "is_owner", "username", "email", "state"];

// Reads GET /me again now (say, after a transfer of ownership).
export function recheck() {
  poll();
}

async function poll() {
  if (!session.me || polling) return;
  polling = true;
  try {
    const me = await api.me();
    if (!session.me) return;
    const before = session.me;
    session.me = me;
    if (watched.some((key) => before[key] !== me[key])) emit("changed");
  } catch {
    // An ended session has been handled (end); a busy or unreachable API is asked again at
    // the next tick.
  } finally {
    polling = false;
  }
}
