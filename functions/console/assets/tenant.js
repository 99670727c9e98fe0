// Tenant: its owner, the retention of deleted users, and ownership transfer to an active
// admin (each admin's transfer_ownership entry decides whether its button works).

import { api } from "./api.js";
import { field, h, vh } from "./dom.js";
import { recheck } from "./session.js";
import {
  act, actionButton, denied, entry, form, heading, names, roleBadges, showStatus, slot, table, transferDialog, when,
} from "./ui.js";

// Every active admin of the tenant (all pages of the listing).
async function admins(tenantId, signal) {
  const found = [];
  let cursor = null;
  for (let page = 0; page < 50 && !signal.aborted; page += 1) {
    const answer = await api.users(tenantId, { cursor, limit: 100 });
    found.push(...answer.items.filter((user) => user.role === "admin"));
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return found;
}

export function tenantScreen(root, ctx) {
  heading(root, "Tenant");
  const tenantId = ctx.tenant;
  const out = slot();
  const about = h("div");
  const retention = h("div");
  const ownership = h("div");
  root.append(out, about, retention, ownership);

  const load = act(out, async (children) => {
    const nameOf = names(tenantId);
    const [tenant, owners] = await Promise.all([api.tenant(tenantId), admins(tenantId, ctx.signal)]);
    if (ctx.signal.aborted) return;
    about.replaceChildren(h("dl", { class: "details" },
      h("dt", null, "Name"), h("dd", null, tenant.name),
      h("dt", null, "Id"), h("dd", null, h("code", null, tenant.id)),
      h("dt", null, "Owner"), h("dd", null, nameOf(tenant.owner_id)),
      h("dt", null, "Retention"), h("dd", null, `${tenant.retention_days} days`),
      h("dt", null, "Created"), h("dd", null, when(tenant.created_at))));
    retention.replaceChildren(retentionSection(tenant));
    ownership.replaceChildren(ownershipSection(owners));
    if (children) showStatus(out, children, true);
  }, null, true);

  function retentionSection(tenant) {
    const configure = entry(tenant, "configure_tenant");
    const saved = slot();
    const save = async (el) => {
      const days = Number(el.elements.namedItem("retention_days").value);
      const changed = await api.updateTenant(tenantId, { retention_days: days });
      showStatus(saved, [h("p", null, `Deleted users are now restorable for ${changed.retention_days} days, for deletions made from now on.`)]);
    };
    return h("section", { class: "card", "aria-labelledby": "retention" },
      h("h2", { id: "retention" }, "Retention"),
      h("p", null, "How long a deleted user stays restorable before the purge removes it. A change applies to deletions made from now on."),
      form(saved, save,
        field("Retention (days)", { name: "retention_days", type: "number", min: 1, max: 365, step: 1, inputmode: "numeric", value: String(tenant.retention_days), disabled: denied(configure) }),
        saved,
        actionButton(configure, "Save retention", null, "primary")));
  }

  function ownershipSection(owners) {
    const transfer = (user) => transferDialog(tenantId, user, recheck, load);
    const rows = owners.map((user) => h("tr", null,
      h("th", { scope: "row" }, h("a", { href: `#/users/${encodeURIComponent(user.id)}` }, user.username)),
      h("td", { class: "email" }, user.email),
      h("td", null, roleBadges(user)),
      h("td", null, actionButton(entry(user, "transfer_ownership"), ["Transfer ownership", vh(` to ${user.username}`)], () => transfer(user)))));
    return h("section", { class: "card", "aria-labelledby": "ownership" },
      h("h2", { id: "ownership" }, "Ownership"),
      h("p", null, "Every tenant has one owner. The owner cannot be deleted until ownership moves to another admin."),
      rows.length ? table(`Active admins of ${tenantId}`, ["Admin", "Email", "Role", "Transfer"], rows) : h("p", null, "There are no active admins."));
  }

  load();
}
