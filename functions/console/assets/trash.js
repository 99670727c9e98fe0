// Trash: the tenant's deleted users, who deleted them and when, the days left before the
// purge; restore, and "Purge now" after typing the username.

import { api } from "./api.js";
import { h, vh } from "./dom.js";
import {
  act, actionButton, confirmDialog, entry, heading, names, pages, purgeCountdown, roleBadges,
  showStatus, slot, table, takeFlash, when,
} from "./ui.js";

export function trashScreen(root, ctx) {
  heading(root, "Trash");
  const tenantId = ctx.tenant;
  const nameOf = names(tenantId);
  const out = slot();
  takeFlash(out);
  const countdowns = [];

  const restore = act(out, async (user) => {
    await api.restoreUser(tenantId, user.id);
    await list.load();
    showStatus(out, [h("p", null, h("a", { href: `#/users/${encodeURIComponent(user.id)}` }, user.username),
      " is restored. Sessions from before the delete stay ended: they sign in again.")], true);
  });

  const purge = (user) => confirmDialog({
    title: `Purge ${user.username} for good?`,
    body: h("p", null, "This removes ", h("strong", null, user.username), " and every trace of their personal data now. It cannot be undone. Their username and email become free at once."),
    confirm: "Purge for good",
    typed: user.username,
    onConfirm: () => api.purgeUser(tenantId, user.id),
    after: async () => {
      await list.load();
      showStatus(out, [h("p", null, h("strong", null, user.username), " is purged. The username and email are free again.")], true);
    },
  });

  const rows = (items) => {
    countdowns.length = 0;
    return items.map((user) => {
      const left = h("span", { class: "countdown" }, purgeCountdown(user.purge_after));
      countdowns.push([left, user.purge_after]);
      return h("tr", null,
        h("th", { scope: "row" }, h("a", { href: `#/users/${encodeURIComponent(user.id)}` }, user.username)),
        h("td", { class: "email" }, user.email),
        h("td", null, roleBadges(user)),
        h("td", null, nameOf(user.deleted_by)),
        h("td", null, when(user.deleted_at)),
        h("td", null, left, h("br"), h("span", { class: "muted" }, "after ", when(user.purge_after))),
        h("td", { class: "row-actions" },
          actionButton(entry(user, "restore"), ["Restore", vh(` ${user.username}`)], () => restore(user)),
          actionButton(entry(user, "purge"), ["Purge", vh(` ${user.username}`), " now"], () => purge(user), "danger")));
    });
  };

  const list = pages({
    out,
    signal: ctx.signal,
    fetchPage: (cursor) => api.users(tenantId, { state: "deleted", cursor }),
    render: (items) => table(`Deleted users of ${tenantId}`,
      ["User", "Email", "Role", "Deleted by", "Deleted", "Purge", "Actions"], rows(items)),
    empty: "The trash is empty.",
  });

  // The countdowns follow the clock while the page stays open.
  const timer = setInterval(() => {
    for (const [el, purgeAfter] of countdowns) el.textContent = purgeCountdown(purgeAfter);
  }, 60000);
  ctx.signal.addEventListener("abort", () => clearInterval(timer));

  root.append(
    h("p", null, "Deleted users of ", h("strong", null, tenantId),
      ". Each can be restored until its purge date; then the scheduled purge removes it for good."),
    out,
    list.element);
  list.load();
}
