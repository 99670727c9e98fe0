// Audit log: every committed change of the tenant, newest first, in words; people by name
// while they exist, by id once purged.

import { api } from "./api.js";
import { h } from "./dom.js";
import { heading, names, pages, roleName, slot, table, when } from "./ui.js";

// What each action (shared/accounts/src/action.rs) did, as a verb phrase.
const VERBS = {
  "tenant.create": "created the tenant",
  "tenant.update": "changed the retention of",
  "tenant.transfer": "transferred ownership to",
  "user.bootstrap": "was created as the first super admin",
  "user.create": "added",
  "user.update": "changed",
  "user.set_password": "set the password of",
  "user.delete": "deleted",
  "user.restore": "restored",
  "user.purge": "purged",
  "auth.logout_all": "signed out everywhere",
  "directory_token.create": "created the directory token",
  "directory_token.revoke": "revoked the directory token",
};

function verb(action) {
  return VERBS[action] || action;
}

// The target, as the action names it: a user, the tenant, a directory token.
function target(event, nameOf) {
  const { action, target_id: id, details = {} } = event;
  if (action === "tenant.create" || action === "tenant.update") return h("code", null, id);
  if (action.startsWith("directory_token.")) return [details.name ? `“${details.name}” ` : "", h("code", { class: "id" }, id)];
  if (action === "auth.logout_all" || action === "user.bootstrap") return "—";
  return nameOf(id);
}

function detailsOf(event, nameOf) {
  const d = event.details || {};
  switch (event.action) {
    case "tenant.create":
      return d.owner_id ? ["owner: ", nameOf(d.owner_id)] : "";
    case "tenant.update":
      return `retention ${d.previous_retention_days} → ${d.retention_days} days`;
    case "tenant.transfer":
      return d.previous_owner_id ? ["from ", nameOf(d.previous_owner_id)] : "";
    case "user.create":
      return d.role ? `as ${roleName(d.role)}` : "";
    case "user.update": {
      const parts = [];
      if (d.previous_role && d.role && d.previous_role !== d.role) parts.push(`role ${roleName(d.previous_role)} → ${roleName(d.role)}`);
      if (d.email_changed) parts.push("email changed");
      if (d.profile_changed) parts.push("profile changed");
      return parts.join("; ");
    }
    case "user.delete":
      return [d.role ? `${roleName(d.role)}; ` : "", "purge after ", when(d.purge_after)];
    case "user.purge":
      return [d.role ? `${roleName(d.role)}; ` : "", "deleted ", when(d.deleted_at)];
    default:
      return "";
  }
}

export function auditScreen(root, ctx) {
  heading(root, "Audit log");
  const tenantId = ctx.tenant;
  const nameOf = names(tenantId);
  const out = slot();
  const list = pages({
    out,
    signal: ctx.signal,
    fetchPage: (cursor) => api.audit(tenantId, cursor),
    render: (items) => table(`Changes to ${tenantId}, newest first`, ["When", "Who", "Did", "To", "Details"],
      items.map((event) => h("tr", { "data-action": event.action },
        h("td", null, when(event.at)),
        h("td", null, nameOf(event.actor_id)),
        h("td", null, verb(event.action)),
        h("td", null, target(event, nameOf)),
        h("td", null, detailsOf(event, nameOf))))),
    empty: "No changes on this page.",
  });
  root.append(
    h("p", null, "Every committed change of ", h("strong", null, tenantId), ", newest first. Refused attempts are not recorded here."),
    out,
    list.element);
  list.load();
}
