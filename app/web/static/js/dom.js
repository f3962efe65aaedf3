// Small DOM helpers: element builder, announcements, error summaries.

import { t } from "./i18n.js";

/**
 * h("button", { class: "btn", onclick: fn }, "Text", child, [more])
 * Attributes starting with "on" become listeners; `false`/`null` attributes are skipped;
 * `dataset` and `style` objects are assigned.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value") {
      el.value = value;
    } else if (name === "class") {
      el.className = value;
    } else if (name === "html") {
      throw new Error("no raw HTML");
    } else if (name in el && typeof value !== "string" && name !== "list") {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
export function nextId(prefix = "id") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Say `text` to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** A notice box: kind is "info", "success", "warning" or "error". */
export function notice(kind, ...content) {
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `notice notice-${kind}`, role }, ...content);
}

/**
 * The error summary shown at the top of a form: a heading and links to each field.
 * `items` are { text, target } where target is an element id (or a function to run).
 */
export function errorSummary(items, { title = t("errors.title"), focus = false } = {}) {
  const list = h(
    "ul",
    { class: "error-summary-list" },
    items.map((item) =>
      h(
        "li",
        {},
        item.target
          ? h(
              "a",
              {
                href: `#${typeof item.target === "string" ? item.target : ""}`,
                onclick: (event) => {
                  event.preventDefault();
                  if (typeof item.target === "function") item.target();
                  else focusField(item.target);
                },
              },
              item.text,
            )
          : item.text,
      ),
    ),
  );
  const box = h(
    "div",
    { class: "error-summary", tabindex: "-1", "aria-labelledby": "" },
    h("h2", { class: "error-summary-title" }, title),
    list,
  );
  const headingId = nextId("errsum");
  box.querySelector("h2").id = headingId;
  box.setAttribute("aria-labelledby", headingId);
  if (focus) window.setTimeout(() => box.focus(), 0);
  return box;
}

/** Focus a field by id, scrolling its label into view (GOV.UK error-summary behaviour). */
export function focusField(id) {
  const el = document.getElementById(id);
  if (!el) return;
  const wrap = el.closest(".field, fieldset") || el;
  wrap.scrollIntoView({ block: "start" });
  el.focus({ preventScroll: true });
}

/** Fill a field's error paragraph and flag the control; `text` empty clears it. */
export function setFieldError(controlId, text, severity = "error") {
  const control = document.getElementById(controlId);
  const message = document.getElementById(`${controlId}-msg`);
  if (!message) return;
  const wrap = message.closest(".field");
  if (text) {
    message.hidden = false;
    message.className = `field-msg field-msg-${severity}`;
    clear(message);
    message.append(
      h("span", { class: "visually-hidden" }, severity === "error" ? t("err.prefix") : t("note.prefix")),
      text,
    );
    if (severity === "error" && wrap) wrap.classList.add("field-error");
    else if (wrap) wrap.classList.remove("field-error");
    if (control) {
      if (severity === "error") control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  } else {
    message.hidden = true;
    clear(message);
    if (wrap) wrap.classList.remove("field-error");
    if (control) control.removeAttribute("aria-invalid");
  }
}

/** Move focus to the main heading after a view change, so keyboard and screen-reader users
 * start at the top of the new content. */
export function focusHeading(root = document) {
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
  wrapped.flush = (...args) => {
    window.clearTimeout(timer);
    return fn(...args);
  };
  wrapped.cancel = () => window.clearTimeout(timer);
  return wrapped;
}

/** Append children (skipping null/false, flattening arrays) — unlike Element.append, which
 * would print "null". */
export function add(el, ...children) {
  append(el, children);
  return el;
}

/** Replace an element's content. */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}
