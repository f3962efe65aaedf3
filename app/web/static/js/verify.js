// The public check of a letter at /verify/{code} (the QR code's target): no token, large and
// plain, for an officer comparing the letter with the worker's passport, on a phone.

import { api, ApiError, problemNode } from "./api.js";
import { add, clear, h } from "./dom.js";
import { formatDate, formatDateTime, lang, onLangChange, setLang, t } from "./i18n.js";

const main = document.getElementById("main");
const toggle = document.getElementById("lang-toggle");
const code = decodeURIComponent(location.pathname.replace(/^\/verify\/?/, "").replace(/\/$/, ""));
let result = null; // { data } or { error }

const ICONS = { valid: "✓", revoked: "✗", superseded: "!" };

function renderChrome() {
  toggle.textContent = t("lang.switch");
  toggle.lang = lang() === "en" ? "fr" : "en";
  toggle.setAttribute("aria-label", t("lang.switch.label"));
  document.getElementById("brand").textContent = t("app.name");
  document.querySelector(".skip-link").textContent = t("skip");
  document.title = `${t("verify.title")} — ${t("app.name")}`;
}

function codeForm() {
  return h(
    "form",
    {
      class: "verify-form",
      onsubmit: (event) => {
        event.preventDefault();
        const value = event.target.code.value.trim();
        if (value) location.assign(`/verify/${encodeURIComponent(value)}`);
      },
    },
    h("label", { for: "code" }, code ? t("verify.check_another") : t("verify.enter")),
    h("p", { class: "hint", id: "code-hint" }, t("verify.enter.hint")),
    h(
      "div",
      { class: "inline-form" },
      h("input", { id: "code", name: "code", type: "text", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", "aria-describedby": "code-hint", class: "width-m" }),
      h("button", { type: "submit", class: "button" }, t("verify.go")),
    ),
  );
}

function render() {
  renderChrome();
  clear(main);
  add(main, h("h1", {}, t("verify.title")));
  if (!code) {
    add(main, codeForm());
    return;
  }
  add(main, h("p", { class: "verify-code" }, `${t("verify.code")} `, h("strong", { class: "code" }, code.toUpperCase())));
  if (!result) {
    add(main, h("p", { role: "status" }, t("loading")));
    return;
  }
  if (result.error) {
    const error = result.error;
    add(main, 
      h(
        "div",
        { class: "verdict verdict-unknown", role: "alert" },
        error.status === 404 ? t("verify.not_found") : problemNode(error),
      ),
      codeForm(),
    );
    return;
  }
  const data = result.data;
  const facts = [
    [t("verify.family_name"), data.worker.family_name],
    [t("verify.dob"), formatDate(data.worker.date_of_birth)],
    [t("verify.passport"), data.worker.passport_last4 ? `•••• ${data.worker.passport_last4}` : "—"],
    [t("verify.reference"), data.reference],
    [t("verify.code_label"), data.exemption_code],
    [t("verify.outcome"), t(`decision.${data.outcome}`)],
    [t("verify.issued"), formatDateTime(data.issued_at)],
  ];
  add(main, 
    h(
      "div",
      { class: `verdict verdict-${data.status}`, id: "verdict", dataset: { status: data.status }, role: "status" },
      h("span", { class: "verdict-icon", "aria-hidden": "true" }, ICONS[data.status] || "?"),
      h("span", { class: "verdict-word" }, t(`verify.status.${data.status}`)),
    ),
    h("p", { class: "verdict-explain" }, t(`verify.explain.${data.status}`)),
    h("p", {}, t("verify.intro")),
    h("dl", { class: "verify-facts" }, facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
    h("p", { class: "hint" }, t("verify.signature", { key: data.key_id })),
    data.certificate_fingerprint
      ? h("p", { class: "hint break" }, t("verify.certificate"), " ", h("span", { class: "code" }, data.certificate_fingerprint))
      : null,
    codeForm(),
  );
}

async function load() {
  if (!code) return;
  try {
    const { data } = await api(`letters/verify/${encodeURIComponent(code)}`, { auth: false });
    result = { data };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    result = { error };
  }
}

toggle.addEventListener("click", () => setLang(lang() === "en" ? "fr" : "en"));
onLangChange(() => {
  render();
  toggle.focus();
});
render();
load().then(render);
