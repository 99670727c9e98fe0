// DOM helpers. Data only ever reaches the page as text (textContent, text nodes, attribute
// values): nothing here parses HTML.

const PROPERTIES = new Set(["value", "checked"]);

// h("button", {type: "button", onclick: f}, "Delete ", name): an element with attributes,
// listeners (on...) and children (nodes, strings, numbers, arrays; null and false are skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  add(el, children);
  return el;
}

// Appends children as h does.
export function add(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Replaces an element's children.
export function fill(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

let next = 0;
// A unique id for label/for, aria-describedby and aria-labelledby.
export function uid(prefix = "id") {
  next += 1;
  return `${prefix}-${next}`;
}

// A labelled form field: a div holding the label, an optional hint and the control.
// field("Role", {tag: "select", name: "role", options: [["user", "User"]]}).
export function field(label, { tag = "input", options = [], hint, ...attrs } = {}) {
  const id = attrs.id || uid("f");
  const hintId = hint ? `${id}-hint` : null;
  const control = h(tag, { ...attrs, id, "aria-describedby": hintId },
    options.map(([value, text]) => h("option", { value }, text)));
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control);
}

// Visually hidden text, read by screen readers and part of accessible names.
export function vh(text) {
  return h("span", { class: "vh" }, text);
}
