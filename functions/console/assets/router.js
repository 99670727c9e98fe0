// Hash routes, so that the server serves one page: #/users, #/users/<id>, #/trash, #/tenant,
// #/audit, #/me, #/tenants, #/sign-in.

const ROUTES = [
  ["sign-in", /^\/sign-in$/],
  ["users", /^\/users$/],
  ["user", /^\/users\/([^/]+)$/],
  ["trash", /^\/trash$/],
  ["tenant", /^\/tenant$/],
  ["audit", /^\/audit$/],
  ["me", /^\/me$/],
  ["tenants", /^\/tenants$/],
];

// {name, id?, path}; name "home" for an empty hash, "not-found" for anything else.
export function current() {
  const path = location.hash.replace(/^#/, "");
  if (path === "" || path === "/") return { name: "home", path: "/" };
  for (const [name, pattern] of ROUTES) {
    const match = pattern.exec(path);
    if (match) {
      let id = null;
      try {
        id = match[1] === undefined ? null : decodeURIComponent(match[1]);
      } catch {
        return { name: "not-found", path };
      }
      return { name, id, path };
    }
  }
  return { name: "not-found", path };
}

let onRoute = () => {};

export function start(render) {
  onRoute = render;
  window.addEventListener("hashchange", () => onRoute());
  onRoute();
}

// Shows path, as a new history entry (a link would do the same).
export function go(path) {
  if (location.hash === `#${path}`) onRoute();
  else location.hash = path;
}

// Shows path in place of the current entry (for redirects).
export function redirect(path) {
  history.replaceState(null, "", `#${path}`);
  onRoute();
}
