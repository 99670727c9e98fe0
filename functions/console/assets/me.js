// Your account: who you are, signing out everywhere, your email and your password.

import { api } from "./api.js";
import { field, h } from "./dom.js";
import { end, recheck, session, signOutEverywhere } from "./session.js";
import { act, actionButton, denied, entry, form, heading, roleBadges, showStatus, slot, when } from "./ui.js";

export function meScreen(root) {
  heading(root, "Your account");
  const me = session.me;
  const out = slot();

  const everywhere = act(out, signOutEverywhere);

  const shownEmail = h("span", { class: "email" }, me.email);
  const emailEntry = entry(me, "change_email");
  const emailSlot = slot();
  const changeEmail = async (el) => {
    const changed = await api.updateUser(me.tenant_id, me.id, { email: el.elements.namedItem("email").value });
    shownEmail.textContent = changed.email;
    recheck();
    showStatus(emailSlot, [h("p", null, "Your email is now ", h("span", { class: "email" }, changed.email), ".")]);
  };

  const passwordEntry = entry(me, "set_password");
  const passwordSlot = slot();
  const changePassword = async (el) => {
    await api.setPassword(me.tenant_id, me.id, {
      current_password: el.elements.namedItem("current_password").value,
      new_password: el.elements.namedItem("new_password").value,
    });
    end("Your password is changed, and every session of yours ended, this one too. Sign in with the new password.", "status");
  };

  root.append(
    h("dl", { class: "details" },
      h("dt", null, "Username"), h("dd", null, me.username),
      h("dt", null, "Email"), h("dd", null, shownEmail),
      h("dt", null, "Role"), h("dd", null, roleBadges(me)),
      h("dt", null, "Tenant"), h("dd", null, h("code", null, me.tenant_id)),
      h("dt", null, "Since"), h("dd", null, when(me.created_at))),
    h("section", { class: "card", "aria-labelledby": "sign-out" },
      h("h2", { id: "sign-out" }, "Sessions"),
      h("p", null, "“Sign out”, at the top of the page, ends this session. “Sign out everywhere” ends every session of yours, in every browser and app, this one too."),
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "danger", onclick: () => everywhere() }, "Sign out everywhere")),
      out),
    h("section", { class: "card", "aria-labelledby": "my-email" },
      h("h2", { id: "my-email" }, "Email"),
      form(emailSlot, changeEmail,
        field("New email", { name: "email", autocomplete: "email", inputmode: "email", value: me.email, disabled: denied(emailEntry) }),
        emailSlot,
        actionButton(emailEntry, "Change email"))),
    h("section", { class: "card", "aria-labelledby": "my-password" },
      h("h2", { id: "my-password" }, "Password"),
      form(passwordSlot, changePassword,
        h("input", { type: "text", name: "username", autocomplete: "username", value: me.username, hidden: true, readonly: true }),
        field("Current password", { name: "current_password", type: "password", autocomplete: "current-password", disabled: denied(passwordEntry) }),
        field("New password", { name: "new_password", type: "password", autocomplete: "new-password", disabled: denied(passwordEntry),
          hint: "12 to 256 characters, not containing your username. Every session of yours ends, this one too." }),
        passwordSlot,
        actionButton(passwordEntry, "Change password"))),
  );
}
