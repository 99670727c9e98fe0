// The tenantry admin console: one page, hash routes, plain ES modules.
// Every rule is the API's: actions on a user are drawn from its allowed_actions, and screens
// show the API's own sentences when it refuses.

import { hasSession } from "./api.js";
import { fill, h } from "./dom.js";
import { current, redirect, start } from "./router.js";
import { isPlatform, resume, session, signOut, subscribe, tenant } from "./session.js";
import { act, closeDialogs, heading, roleName, showProblem, slot } from "./ui.js";
import { signInScreen } from "./signin.js";
import { usersScreen } from "./users.js";
import { userScreen } from "./user.js";
import { trashScreen } from "./trash.js";
import { tenantScreen } from "./tenant.js";
import { auditScreen } from "./audit.js";
import { meScreen } from "./me.js";
import { tenantsScreen } from "./tenants.js";

const SCREENS = {
  "sign-in": signInScreen,
  users: usersScreen,
  user: userScreen,
  trash: trashScreen,
  tenant: tenantScreen,
  audit: auditScreen,
  me: meScreen,
  tenants: tenantsScreen,
  "not-found": notFoundScreen,
};
// Screens about one tenant; a super admin opens one first.
const TENANT_SCREENS = new Set(["users", "user", "trash", "tenant", "audit"]);

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let controller = null;
let wanted = null; // where a deep link asked to go before signing in

function notFoundScreen(root) {
  heading(root, "Page not found");
  root.append(h("p", null, "The console has no such page. ", h("a", { href: "#/users" }, "Go to the users"), "."));
}

function home() {
  if (isPlatform() && !session.picked) return "/tenants";
  return "/users";
}

function renderChrome() {
  const me = session.me;
  if (!me) {
    nav.hidden = true;
    who.hidden = true;
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  const route = current().name;
  const link = (path, text, names) => h("li", null, h("a", {
    href: `#${path}`,
    "aria-current": names.includes(route) ? "page" : null,
  }, text));
  const inTenant = Boolean(tenant());
  fill(nav, h("ul", null,
    isPlatform() ? link("/tenants", "Tenants", ["tenants"]) : null,
    inTenant ? [
      link("/users", "Users", ["users", "user"]),
      link("/trash", "Trash", ["trash"]),
      link("/tenant", "Tenant", ["tenant"]),
      link("/audit", "Audit log", ["audit"]),
    ] : null,
    link("/me", "Your account", ["me"])));
  const problem = slot();
  fill(who,
    h("span", null, "Signed in as ", h("strong", null, me.username), ` (${roleName(me.role)}${me.is_owner ? ", owner" : ""})`,
      isPlatform() ? [" · tenant ", inTenant ? h("strong", null, tenant()) : "none open"] : [" · ", h("strong", null, me.tenant_id)]),
    h("button", { type: "button", class: "quiet", onclick: act(problem, signOut) }, "Sign out"),
    problem);
  nav.hidden = false;
  who.hidden = false;
}

function render() {
  if (controller) controller.abort();
  controller = new AbortController();
  const route = current();
  if (!session.me) {
    if (route.name !== "sign-in") {
      if (route.name !== "home" && route.name !== "not-found") wanted = route.path;
      redirect("/sign-in");
      return;
    }
  } else if (route.name === "sign-in" || route.name === "home") {
    redirect(home());
    return;
  } else if (TENANT_SCREENS.has(route.name) && !tenant()) {
    redirect("/tenants");
    return;
  }
  renderChrome();
  const screen = h("div", { class: "screen" });
  main.replaceChildren(screen);
  const ctx = {
    signal: controller.signal,
    id: route.id,
    tenant: tenant(),
    signedIn: () => {
      const path = wanted;
      wanted = null;
      redirect(path || home());
    },
  };
  try {
    SCREENS[route.name](screen, ctx);
  } catch (err) {
    const out = slot();
    screen.append(out);
    showProblem(out, err);
  }
  const title = screen.querySelector("h1");
  if (title) title.focus();
}

subscribe((event) => {
  if (event === "ended") {
    closeDialogs();
    redirect("/sign-in");
  } else {
    // Signed in; or ownership moved, names changed, a super admin opened another tenant:
    // the header and the navigation follow. (A role change or a delete ends the session.)
    renderChrome();
  }
});

// Following the link of the screen shown draws it again (fresh from the API), as a new
// navigation would.
nav.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (link && link.getAttribute("href") === location.hash) {
    event.preventDefault();
    render();
  }
});

// A promise rejection nothing handled (a bug): say so on the page instead of failing silently.
window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const out = slot();
  main.prepend(out);
  showProblem(out, null);
});

async function boot() {
  if (hasSession()) {
    fill(main, h("p", null, "Resuming your session…"));
    try {
      await resume();
    } catch (err) {
      if (!err.sessionEnded) {
        const out = slot();
        fill(main, h("h1", { tabindex: "-1" }, "Sign in"), out);
        showProblem(out, err, () => boot());
        return;
      }
    }
  }
  start(render);
}

boot();
