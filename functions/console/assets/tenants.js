// Tenants, for super admins: open a tenant by id (recent ones are remembered on this page)
// and create a tenant with its owner.

import { api } from "./api.js";
import { field, h, vh } from "./dom.js";
import { pick, session } from "./session.js";
import { act, flash, form, heading, slot, takeFlash } from "./ui.js";
import { go } from "./router.js";

export function tenantsScreen(root) {
  heading(root, "Tenants");
  const out = slot();
  takeFlash(out);

  // Opens a tenant once the API knows it; a problem shows in target.
  const opener = (target) => act(target, async (tenantId) => {
    const tenant = await api.tenant(tenantId);
    pick(tenant.id);
    go("/users");
  });
  const open = opener(out);
  const openSlot = slot();
  const openTyped = opener(openSlot);
  const openForm = form(openSlot, (el) => openTyped(el.elements.namedItem("tenant").value.trim()),
    field("Tenant id", { name: "tenant", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true }),
    openSlot,
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Open tenant")));

  const created = slot();
  const create = async (el) => {
    const value = (name) => el.elements.namedItem(name).value;
    const answer = await api.createTenant({
      id: value("id").trim(),
      name: value("name"),
      owner: { username: value("username"), email: value("email"), password: value("password") },
    });
    pick(answer.tenant.id);
    flash([h("p", null, "Tenant ", h("strong", null, answer.tenant.name), " (", h("code", null, answer.tenant.id), ") is created, owned by ", h("strong", null, answer.owner.username), ".")]);
    go("/users");
  };

  root.append(
    h("p", null, "You are a super admin: open any tenant to manage its users."),
    out,
    h("section", { class: "card", "aria-labelledby": "open-tenant" },
      h("h2", { id: "open-tenant" }, "Open a tenant"),
      openForm,
      session.recent.length ? [
        h("h3", null, "Opened recently"),
        h("ul", { class: "recent" }, session.recent.map((tenantId) =>
          h("li", null, h("button", { type: "button", onclick: () => open(tenantId) }, vh("Open "), tenantId)))),
      ] : null),
    h("section", { class: "card", "aria-labelledby": "create-tenant" },
      h("h2", { id: "create-tenant" }, "Create a tenant"),
      form(created, create,
        field("Id", { name: "id", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true,
          hint: "3 to 32 characters: a to z, 0 to 9 and -." }),
        field("Name", { name: "name", autocomplete: "off", required: true }),
        h("fieldset", null,
          h("legend", null, "Its owner, an admin"),
          field("Owner username", { name: "username", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true }),
          field("Owner email", { name: "email", autocomplete: "off", inputmode: "email", required: true }),
          field("Owner password", { name: "password", type: "password", autocomplete: "new-password", required: true,
            hint: "12 to 256 characters, not containing the username." })),
        created,
        h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Create tenant")))),
  );
}
