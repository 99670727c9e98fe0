// Users: the tenant's active members, a page at a time, and adding one.

import { api } from "./api.js";
import { field, h } from "./dom.js";
import { session } from "./session.js";
import {
  aRole, act, actionButton, denied, entry, form, heading, pages, roleBadges, showStatus, slot, table, takeFlash, when,
} from "./ui.js";

function usersRows(items) {
  return items.map((user) => h("tr", null,
    h("th", { scope: "row" }, h("a", { href: `#/users/${encodeURIComponent(user.id)}` }, user.username),
      user.id === session.me.id ? " (you)" : null),
    h("td", { class: "email" }, user.email),
    h("td", null, roleBadges(user)),
    h("td", null, when(user.created_at, true))));
}

export function usersScreen(root, ctx) {
  heading(root, "Users");
  const out = slot();
  takeFlash(out);
  const list = pages({
    out,
    signal: ctx.signal,
    fetchPage: (cursor) => api.users(ctx.tenant, { cursor }),
    render: (items) => table(`Active users of ${ctx.tenant}`, ["Username", "Email", "Role", "Added"], usersRows(items)),
    empty: "No users on this page.",
  });

  const added = slot();
  const create = async (el) => {
    const value = (name) => el.elements.namedItem(name).value;
    const user = await api.createUser(ctx.tenant, {
      username: value("username"),
      email: value("email"),
      password: value("password"),
      role: value("role"),
    });
    el.reset();
    showStatus(added, [h("a", { href: `#/users/${encodeURIComponent(user.id)}` }, user.username),
      ` is added as ${aRole(user.role)}.`]);
    list.first();
  };

  // The roles offered are those the tenant's allowed_actions let the caller create; with
  // none, the form stays, greyed, with the API's sentence.
  const addOut = slot();
  const adding = h("section", { class: "card", "aria-labelledby": "add-user" },
    h("h2", { id: "add-user" }, "Add a user"), addOut);
  const addForm = (tenantView) => {
    const creates = ["user", "agent", "admin"].map((role) => entry(tenantView, "create", role) || { role, allowed: true });
    const allowed = creates.filter((e) => !denied(e));
    const refused = allowed.length === 0;
    return form(added, create,
      field("Username", { name: "username", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true,
        disabled: refused, hint: "3 to 128 characters: letters, digits and . _ - @ + '" }),
      field("Email", { name: "email", autocomplete: "off", inputmode: "email", required: true, disabled: refused }),
      field("Password", { name: "password", type: "password", autocomplete: "new-password", required: true, disabled: refused,
        hint: "12 to 256 characters, not containing the username." }),
      field("Role", { tag: "select", name: "role", disabled: refused, options: (refused ? creates : allowed).map((e) => [e.role, e.role]) }),
      added,
      actionButton(refused ? creates[0] : null, "Add user", null, "primary"));
  };
  root.append(
    h("p", null, "Active members of ", h("strong", null, ctx.tenant), ". Deleted users are in the ", h("a", { href: "#/trash" }, "trash"), "."),
    out,
    list.element,
    adding,
  );
  list.load();
  act(addOut, async () => {
    const tenantView = await api.tenant(ctx.tenant);
    if (!ctx.signal.aborted) adding.append(addForm(tenantView));
  }, null, true)();
}
