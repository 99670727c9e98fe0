// What every screen shares: headings, the outcome of actions (problems and confirmations),
// controls drawn from a user's allowed_actions, confirmation dialogs, tables, paging, dates
// and names.

import { api, SessionEnded } from "./api.js";
import { add, fill, h, uid, vh } from "./dom.js";
import { session } from "./session.js";

// ---------------------------------------------------------------- headings and messages

// The screen's one h1, focused by the app after each navigation.
export function heading(root, title) {
  const h1 = h("h1", { tabindex: "-1" }, title);
  root.append(h1);
  setTitle(h1, title);
  return h1;
}

export function setTitle(h1, title) {
  h1.textContent = title;
  document.title = `${title} · tenantry console`;
}

// A place where an action's outcome appears: a problem (role=alert) or a confirmation
// (role=status). Showing one clears the others, so the page holds one outcome at a time.
export function slot() {
  return h("div", { class: "slot", "data-slot": "" });
}

function clearSlots() {
  for (const el of document.querySelectorAll("[data-slot]")) el.replaceChildren();
}

// Shows the problem's detail sentence; "Try again" repeats the request when that can help
// (503, conflict, no network). A field the API names is marked invalid in form.
export function showProblem(target, err, retry, form) {
  if (err instanceof SessionEnded) return;
  clearSlots();
  const detail = err && typeof err.detail === "string" ? err.detail
    : "The console ran into a problem it cannot explain. Reload the page and try again.";
  const box = h("div", { role: "alert", class: "problem" }, h("p", null, detail));
  if (retry && err && err.retryable) {
    box.append(h("button", { type: "button", onclick: () => { target.replaceChildren(); retry(); } }, "Try again"));
  }
  target.replaceChildren(box);
  if (form && err && err.field) {
    const input = form.elements.namedItem(err.field.split(".").pop());
    if (input && typeof input.focus === "function") {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }
}

// A confirmation in target; focus moves to it when asked (when the control that was used is gone).
export function showStatus(target, children, focus = false) {
  clearSlots();
  const box = h("div", { role: "status", class: "notice", tabindex: "-1" }, children);
  target.replaceChildren(box);
  if (focus) box.focus();
  return box;
}

// act(target, fn): a handler running fn; its problems show in target with "Try again".
// Starting it clears the outcome of the previous action (unless quiet: loading a screen keeps
// what the last action said); a second call while one runs is ignored (no double submissions).
export function act(target, fn, form, quiet = false) {
  let running = false;
  const attempt = async (...args) => {
    if (running) return;
    running = true;
    if (!quiet) clearSlots();
    if (form) {
      for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    }
    try {
      await fn(...args);
    } catch (err) {
      showProblem(target, err, () => attempt(...args), form);
    } finally {
      running = false;
    }
  };
  return attempt;
}

// A form whose submit runs fn(form) through act.
export function form(target, fn, ...children) {
  const el = h("form", { novalidate: true }, children);
  const run = act(target, () => fn(el), el);
  el.addEventListener("submit", (event) => {
    event.preventDefault();
    const denied = event.submitter && event.submitter.getAttribute("aria-disabled") === "true";
    if (!denied) run();
  });
  return el;
}

// Moves a one-time message to the next screen (say, after a purge sends you to the trash).
let flashed = null;
export function flash(children) {
  flashed = children;
}
export function takeFlash(target) {
  if (flashed) showStatus(target, flashed);
  flashed = null;
}

// ---------------------------------------------------------------- allowed_actions

// The entry of user.allowed_actions for action (and role, for change_role).
export function entry(user, action, role) {
  return (user.allowed_actions || []).find((e) => e.action === action && (role === undefined || e.role === role));
}

export function denied(e) {
  return Boolean(e && e.allowed === false);
}

// A button for one allowed_actions entry. Allowed: it runs onclick (or submits its form).
// Refused: it stays visible and focusable but does nothing (aria-disabled), with the API's
// sentence beside it, linked by aria-describedby. No entry: the API decides on submit.
export function actionButton(e, label, onclick, cls) {
  const button = h("button", { type: onclick ? "button" : "submit", class: cls }, label);
  if (denied(e)) {
    const id = uid("why");
    button.setAttribute("aria-disabled", "true");
    button.setAttribute("aria-describedby", id);
    button.addEventListener("click", (event) => event.preventDefault());
    return h("div", { class: "action denied" }, button,
      h("p", { class: "reason", id, "data-code": e.code || "" }, e.detail || "Not allowed."));
  }
  if (onclick) button.addEventListener("click", onclick);
  return h("div", { class: "action" }, button);
}

// ---------------------------------------------------------------- dialogs

// The confirmation of handing tenantId to user; once it went through, recheck() (the caller
// may own the tenant no more) and done(summary), a sentence saying who owns it now.
export function transferDialog(tenantId, user, recheck, done) {
  return confirmDialog({
    title: `Transfer ownership to ${user.username}?`,
    body: h("p", null, h("strong", null, user.username), ` becomes the owner of ${tenantId}. The current owner stays an admin.`),
    confirm: "Confirm transfer",
    danger: false,
    onConfirm: () => api.transfer(tenantId, user.id),
    after: () => {
      recheck();
      done([h("p", null, "Ownership moved: ", h("strong", null, user.username), ` owns ${tenantId} now.`)]);
    },
  });
}

// A modal confirmation. onConfirm runs when confirmed; its problems show inside the dialog
// (with "Try again"); once it succeeds the dialog closes and after() runs. With typed, the
// confirm button enables only once that exact text is typed.
export function confirmDialog({ title, body, confirm, danger = true, typed, onConfirm, after }) {
  const titleId = uid("dialog");
  const out = slot();
  const ok = h("button", { type: "submit", class: danger ? "danger" : "primary" }, confirm);
  const cancel = h("button", { type: "button" }, "Cancel");
  const dialog = h("dialog", { "aria-labelledby": titleId });
  let input = null;
  let typedField = null;
  if (typed !== undefined) {
    const id = uid("typed");
    input = h("input", { id, name: "confirm", autocomplete: "off", autocapitalize: "none", spellcheck: "false", "aria-describedby": `${id}-hint` });
    typedField = h("div", { class: "field" },
      h("label", { for: id }, "Username to confirm"),
      h("p", { class: "hint", id: `${id}-hint` }, "Type ", h("strong", { class: "typed" }, typed), " exactly to enable the button."),
      input);
    ok.disabled = true;
    input.addEventListener("input", () => { ok.disabled = input.value !== typed; });
  }
  const run = act(out, async () => {
    if (input && input.value !== typed) return;
    await onConfirm();
    dialog.close();
    if (after) after();
  });
  const formEl = h("form", { novalidate: true }, h("h2", { id: titleId }, title), body, typedField, out,
    h("div", { class: "buttons" }, ok, cancel));
  formEl.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  dialog.append(formEl);
  document.body.append(dialog);
  dialog.showModal();
  (input || cancel).focus();
  return dialog;
}

export function closeDialogs() {
  for (const dialog of document.querySelectorAll("dialog")) dialog.remove();
}

// ---------------------------------------------------------------- tables and paging

// A table in a region that scrolls sideways on narrow screens (and can be scrolled by keyboard).
export function table(caption, headers, rows) {
  const id = uid("caption");
  return h("div", { class: "table-wrap", role: "region", "aria-labelledby": id, tabindex: "0" },
    h("table", null,
      h("caption", { id }, caption),
      h("thead", null, h("tr", null, headers.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", null, rows)));
}

// Pages of a listing with "Previous page" and "Next page". fetchPage(cursor) answers
// {items, next_cursor}; render(items) the nodes of a page.
export function pages({ out, fetchPage, render, empty, signal }) {
  const list = h("div", { class: "list", tabindex: "-1" });
  const nav = h("div", { class: "pager" });
  const cursors = [null];
  let index = 0;
  const load = act(out, async (focus) => {
    const page = await fetchPage(cursors[index]);
    if (signal.aborted) return;
    cursors.length = index + 1;
    if (page.next_cursor) cursors.push(page.next_cursor);
    fill(list, page.items.length ? render(page.items) : h("p", null, empty));
    const paged = index > 0 || page.next_cursor;
    fill(nav,
      index > 0 ? h("button", { type: "button", onclick: () => { index -= 1; load(true); } }, "Previous page") : null,
      page.next_cursor ? h("button", { type: "button", onclick: () => { index += 1; load(true); } }, "Next page") : null,
      paged ? h("span", { class: "page-no" }, `Page ${index + 1}`) : null);
    if (focus) (list.querySelector(".table-wrap") || list).focus();
  }, null, true);
  return {
    element: h("div", null, list, nav),
    load: () => load(false),
    first: () => { index = 0; return load(false); },
  };
}

// ---------------------------------------------------------------- words, dates and names

const ROLES = { super_admin: "super admin", admin: "admin", agent: "agent", user: "user" };
export function roleName(role) {
  return ROLES[role] || role;
}

const ARTICLES = { super_admin: "a super admin", admin: "an admin", agent: "an agent", user: "a user" };
// "an admin", "a user".
export function aRole(role) {
  return ARTICLES[role] || role;
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind}` }, text);
}

// The role, and the owner's badge.
export function roleBadges(user) {
  return [badge(roleName(user.role), `role-${user.role}`), user.is_owner ? [" ", badge("owner", "owner")] : null];
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function when(timestamp, dateOnly = false) {
  if (!timestamp) return "—";
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return timestamp;
  return h("time", { datetime: timestamp, title: date.toISOString() }, (dateOnly ? DATE : DATE_TIME).format(date));
}

function startOfDay(ms) {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

// "purged in 3 days", "purged in 1 day", "purged today" (later today), then "awaiting purge"
// once the date has passed (the scheduled purge takes it on its next run).
export function purgeCountdown(purgeAfter, now = Date.now()) {
  const due = Date.parse(purgeAfter);
  if (Number.isNaN(due)) return "";
  if (due <= now) return "awaiting purge";
  const days = Math.round((startOfDay(due) - startOfDay(now)) / 86400000);
  if (days <= 0) return "purged today";
  if (days === 1) return "purged in 1 day";
  return `purged in ${days} days`;
}

// Names for the ids the API answers (deleted_by, the audit log's actors and targets): a user
// is shown by name while it exists, by id once purged (GET user answers 404), a directory
// and the scheduled purge in words. One lookup per id per screen.
export function names(tenantId) {
  const lookups = new Map();
  const lookup = (id) => {
    if (!lookups.has(id)) {
      // A user, null once it is gone (404), undefined if the API could not say.
      lookups.set(id, api.user(tenantId, id).then((user) => user, (err) => (err && err.status === 404 ? null : undefined)));
    }
    return lookups.get(id);
  };
  return function nameOf(id) {
    if (!id) return "—";
    if (id === "system:purge") return "the scheduled purge";
    if (id.startsWith("directory:")) return h("span", null, "the directory ", h("code", { class: "id" }, id.slice(10)));
    if (session.me && id === session.me.id) return `${session.me.username} (you)`;
    const out = h("span", { class: "name" }, h("code", { class: "id" }, id));
    lookup(id).then((user) => {
      if (user) fill(out, h("a", { href: `#/users/${encodeURIComponent(user.id)}` }, user.username));
      else if (user === null) add(out, [" ", h("span", { class: "gone" }, `(not in ${tenantId})`)]);
    });
    return out;
  };
}

export { vh };
