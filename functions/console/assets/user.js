// A user: details, and every action the API offers on them, each drawn from the user's
// allowed_actions (refused ones greyed, with the API's sentence). Delete confirms in a dialog
// and then says what happened; a deleted user can be restored or purged.

import { api } from "./api.js";
import { field, h, vh } from "./dom.js";
import { end, recheck, session } from "./session.js";
import {
  aRole, act, actionButton, confirmDialog, denied, entry, flash, form, heading, names, purgeCountdown,
  roleBadges, roleName, setTitle, showStatus, slot, transferDialog, when,
} from "./ui.js";
import { go } from "./router.js";

function row(term, ...value) {
  return [h("dt", null, term), h("dd", null, value)];
}

function details(user, nameOf) {
  const profile = user.profile || {};
  const person = profile.display_name || [profile.given_name, profile.family_name].filter(Boolean).join(" ");
  return h("dl", { class: "details" },
    row("Username", user.username),
    row("Email", h("span", { class: "email" }, user.email)),
    person ? row("Name", person) : null,
    row("Role", roleBadges(user)),
    row("State", user.state === "deleted" ? h("span", { class: "badge deleted" }, "deleted") : "active"),
    user.state === "deleted" ? [
      row("Deleted", when(user.deleted_at)),
      row("Deleted by", nameOf(user.deleted_by)),
      row("Restorable until", when(user.restorable_until)),
      row("Purge", purgeCountdown(user.purge_after), " (after ", when(user.purge_after), ")"),
    ] : null,
    row("Added", when(user.created_at)),
    row("Last changed", when(user.updated_at)),
    row("Id", h("code", { class: "id" }, user.id)));
}

// The honest answer of a delete, as sentences.
function deletionSummary(username, deletion) {
  return [
    h("p", null, h("strong", null, username), " is deleted",
      deletion.sessions_revoked ? ", and every session of theirs ended." : "."),
    h("p", null, "They can be restored until ", when(deletion.restorable_until),
      ". They will be purged, for good, after ", when(deletion.purge_after), "."),
  ];
}

export function userScreen(root, ctx) {
  const title = heading(root, "User");
  const tenantId = ctx.tenant;
  const id = ctx.id;
  const nameOf = names(tenantId);
  const out = slot();
  const body = h("div");
  root.append(h("p", { class: "back" }, h("a", { href: "#/users" }, "All users"), " · ", h("a", { href: "#/trash" }, "Trash")), out, body);

  // Reloads the user, then shows what happened (children) in out.
  const load = act(out, async (children) => {
    const user = await api.user(tenantId, id);
    if (ctx.signal.aborted) return;
    setTitle(title, user.username);
    body.replaceChildren(details(user, nameOf),
      h("div", { class: "cards" }, user.state === "deleted" ? deletedActions(user) : activeActions(user)));
    if (children) showStatus(out, children, true);
  }, null, true);

  function section(name, ...children) {
    const headingId = `section-${name.toLowerCase()}`;
    return h("section", { class: "card", "aria-labelledby": headingId }, h("h2", { id: headingId }, name), children);
  }

  function activeActions(user) {
    const self = user.id === session.me.id;
    const roleSlot = slot();
    const changeRole = act(roleSlot, async (role) => {
      const changed = await api.updateUser(tenantId, user.id, { role });
      await load([h("p", null, h("strong", null, changed.username), ` is now ${aRole(changed.role)}; their sessions ended.`)]);
    });
    const roleEntries = (user.allowed_actions || []).filter((e) => e.action === "change_role");

    const emailEntry = entry(user, "change_email");
    const emailSlot = slot();
    const changeEmail = async (el) => {
      const changed = await api.updateUser(tenantId, user.id, { email: el.elements.namedItem("email").value });
      await load([h("p", null, "The email of ", h("strong", null, changed.username), " is now ", h("span", { class: "email" }, changed.email), ".")]);
    };

    const passwordEntry = entry(user, "set_password");
    const passwordSlot = slot();
    const setPassword = async (el) => {
      const body = { new_password: el.elements.namedItem("new_password").value };
      if (self) body.current_password = el.elements.namedItem("current_password").value;
      await api.setPassword(tenantId, user.id, body);
      if (self) {
        end("Your password is changed, and every session of yours ended, this one too. Sign in with the new password.", "status");
        return;
      }
      el.reset();
      showStatus(passwordSlot, [h("p", null, "The password of ", h("strong", null, user.username), " is set, and every session of theirs ended.")]);
    };

    const transferSlot = slot();
    const transfer = () => transferDialog(tenantId, user, recheck, load);

    let deletion = null;
    const remove = () => confirmDialog({
      title: `Delete ${user.username}?`,
      body: [
        h("p", null, h("strong", null, user.username), " goes to the trash and every session of theirs ends at once."),
        h("p", null, "They can be restored until the tenant's retention ends; then the purge removes them for good."),
      ],
      confirm: "Confirm delete",
      onConfirm: async () => { deletion = await api.deleteUser(tenantId, user.id); },
      after: () => load(deletionSummary(user.username, deletion)),
    });

    return [
      section("Role",
        h("p", null, "Current role: ", roleBadges(user), ". A change of role ends the user's sessions."),
        h("div", { class: "actions" }, roleEntries.map((e) =>
          actionButton(e, `Make ${roleName(e.role)}`, () => changeRole(e.role)))),
        roleSlot),
      section("Email",
        form(emailSlot, changeEmail,
          field("New email", { name: "email", autocomplete: "off", inputmode: "email", value: user.email, disabled: denied(emailEntry) }),
          emailSlot,
          actionButton(emailEntry, "Change email"))),
      section("Password",
        form(passwordSlot, setPassword,
          h("input", { type: "text", name: "username", autocomplete: "username", value: user.username, hidden: true, readonly: true }),
          self ? field("Current password", { name: "current_password", type: "password", autocomplete: "current-password", disabled: denied(passwordEntry) }) : null,
          field("New password", { name: "new_password", type: "password", autocomplete: "new-password", disabled: denied(passwordEntry),
            hint: "12 to 256 characters, not containing the username. Every session of the user ends." }),
          passwordSlot,
          actionButton(passwordEntry, "Set password"))),
      section("Ownership",
        h("p", null, user.is_owner ? [h("strong", null, user.username), ` owns ${tenantId}.`] : "The tenant's current owner stays an admin after a transfer."),
        actionButton(entry(user, "transfer_ownership"), ["Transfer ownership", vh(` to ${user.username}`)], transfer),
        transferSlot),
      section("Delete",
        h("p", null, "A deleted user leaves every list but the trash, cannot sign in, and loses every session at once. They can be restored until the tenant's retention ends."),
        actionButton(entry(user, "delete"), "Delete user", remove, "danger")),
    ];
  }

  function deletedActions(user) {
    const restoreSlot = slot();
    const restore = act(restoreSlot, async () => {
      await api.restoreUser(tenantId, user.id);
      await load([h("p", null, h("strong", null, user.username), " is restored. Sessions from before the delete stay ended: they sign in again.")]);
    });
    const purge = () => confirmDialog({
      title: `Purge ${user.username} for good?`,
      body: h("p", null, "This removes ", h("strong", null, user.username), " and every trace of their personal data now. It cannot be undone. Their username and email become free at once."),
      confirm: "Purge for good",
      typed: user.username,
      onConfirm: () => api.purgeUser(tenantId, user.id),
      after: () => {
        flash([h("p", null, h("strong", null, user.username), " is purged. The username and email are free again.")]);
        go("/trash");
      },
    });
    return [
      section("Restore",
        h("p", null, "Restoring brings the user back with the role they had."),
        actionButton(entry(user, "restore"), "Restore user", restore, "primary"),
        restoreSlot),
      section("Purge",
        h("p", null, "Scheduled: ", purgeCountdown(user.purge_after), " (after ", when(user.purge_after), "). “Purge now” removes them for good at once."),
        actionButton(entry(user, "purge"), "Purge now", purge, "danger")),
    ];
  }

  load();
}
