// Sign in: tenant, username, password. A lockout says when the name opens again.

import { field, h } from "./dom.js";
import { session, signIn } from "./session.js";
import { form, heading, showProblem, slot } from "./ui.js";

const CLOCK = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

function left(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  if (minutes === 0) return `${seconds} s`;
  return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
}

export function signInScreen(root, ctx) {
  heading(root, "Sign in");
  const message = session.message;
  if (message) {
    root.append(h("div", { role: message.kind, class: message.kind === "alert" ? "problem" : "notice" }, h("p", null, message.text)));
  }
  const out = slot();
  let lockTimer = null;
  ctx.signal.addEventListener("abort", () => clearInterval(lockTimer));

  const submit = async (el) => {
    clearInterval(lockTimer);
    const value = (name) => el.elements.namedItem(name).value;
    try {
      await signIn(value("tenant").trim(), value("username"), value("password"));
    } catch (err) {
      if (err.code !== "login_locked" || !err.retryAfter) throw err;
      // The lockout: the API's sentence, then when the name opens and a countdown (not live,
      // so screen readers are not interrupted every second).
      showProblem(out, err);
      const until = Date.now() + err.retryAfter * 1000;
      const countdown = h("span", null, left(until - Date.now()));
      out.append(h("p", { class: "lock" }, "You can try again at ",
        h("time", { datetime: new Date(until).toISOString() }, CLOCK.format(until)), " (", countdown, " left)."));
      lockTimer = setInterval(() => {
        countdown.textContent = left(until - Date.now());
        if (until <= Date.now()) clearInterval(lockTimer);
      }, 1000);
      return;
    }
    ctx.signedIn();
  };

  root.append(
    h("p", null, "Super admins sign in to the tenant ", h("code", null, "platform"), "."),
    form(out, submit,
      field("Tenant", { name: "tenant", autocomplete: "organization", autocapitalize: "none", spellcheck: "false", required: true, value: session.lastTenant }),
      field("Username", { name: "username", autocomplete: "username", autocapitalize: "none", spellcheck: "false", required: true }),
      field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
      out,
      h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Sign in"))),
  );
}
