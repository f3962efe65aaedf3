// The client's entry point: header, language switch, sign-in state and the hash router.

import { ApiError, get, getToken, problemNode, setToken, setUnauthorizedHandler } from "./api.js";
import { clear, fill, focusHeading, h, notice } from "./dom.js";
import { lang, onLangChange, setLang, t } from "./i18n.js";
import { currentAccount, navigate, setAccount, setFlash, takeFlash } from "./nav.js";
import { signinView } from "./views/signin.js";
import { newRequest, requestListView, requestView } from "./views/requests.js";
import { intakeView } from "./views/intake.js";
import { queueView } from "./views/queue.js";
import { caseView } from "./views/case.js";
import { webhookView, webhooksView } from "./views/webhooks.js";

const header = document.getElementById("site-header");
const main = document.getElementById("main");

const ROUTES = [
  [/^#\/signin$/, () => signinView, "signin.title", false],
  [/^#\/requests$/, () => requestListView, "list.title", true],
  [/^#\/requests\/new$/, () => newRequest, "list.new", true],
  [/^#\/requests\/([^/]+)\/edit(?:\/([a-z]+))?$/, (m) => (el, o) => intakeView(el, { ...o, id: m[1], step: m[2] }), null, true],
  [/^#\/requests\/([^/]+)$/, (m) => (el, o) => requestView(el, { ...o, id: m[1] }), null, true],
  [/^#\/queue(?:\?(.*))?$/, (m) => (el, o) => queueView(el, { ...o, query: new URLSearchParams(m[1] || "") }), "queue.title", true],
  [/^#\/cases\/([^/]+)$/, (m) => (el, o) => caseView(el, { ...o, id: m[1] }), null, true],
  [/^#\/webhooks$/, () => webhooksView, "hooks.title", true],
  [/^#\/webhooks\/([^/]+)$/, (m) => (el, o) => webhookView(el, { ...o, id: m[1] }), "hooks.one.title", true],
];

function home() {
  const account = currentAccount();
  if (!account) return "#/signin";
  if (account.role === "representative") return "#/requests";
  if (account.role === "reviewer" || account.role === "supervisor") return "#/queue";
  return "#/signin";
}

function renderHeader() {
  const account = currentAccount();
  const links = [];
  if (account?.role === "representative") links.push(["#/requests", t("nav.requests")]);
  if (account?.role === "representative") links.push(["#/webhooks", t("nav.webhooks")]);
  if (account && (account.role === "reviewer" || account.role === "supervisor")) links.push(["#/queue", t("nav.queue")]);
  const here = location.hash.split("?")[0];
  const toggle = h(
    "button",
    {
      type: "button",
      class: "lang-toggle",
      id: "lang-toggle",
      lang: lang() === "en" ? "fr" : "en",
      "aria-label": t("lang.switch.label"),
      onclick: () => setLang(lang() === "en" ? "fr" : "en"),
    },
    t("lang.switch"),
  );
  fill(header, 
    h(
      "div",
      { class: "header-bar" },
      h("a", { class: "brand", href: home() }, t("app.name")),
      h(
        "div",
        { class: "header-tools" },
        account ? h("span", { class: "whoami" }, t("nav.signed_in_as", { name: account.name, role: t(`role.${account.role}`) })) : null,
        toggle,
        account
          ? h("button", { type: "button", class: "signout", onclick: signOut }, t("nav.signout"))
          : null,
      ),
    ),
    links.length
      ? h(
          "nav",
          { class: "site-nav", "aria-label": t("nav.label") },
          h(
            "ul",
            {},
            links.map(([href, text]) =>
              h("li", {}, h("a", { href, "aria-current": here.startsWith(href) ? "page" : null }, text)),
            ),
          ),
        )
      : null,
  );
  document.querySelector(".skip-link").textContent = t("skip");
}

function signOut() {
  setToken(null);
  setAccount(null);
  navigate("#/signin");
}

let renderSeq = 0;
let firstRender = true;

async function render({ rerender = false } = {}) {
  const seq = ++renderSeq;
  const hash = location.hash || "";
  if (main.cleanup) {
    main.cleanup();
    main.cleanup = null;
  }
  if (!currentAccount() && hash !== "#/signin") {
    navigate("#/signin", { replace: true });
    return;
  }
  if (hash === "" || hash === "#" || hash === "#/") {
    navigate(home(), { replace: true });
    return;
  }
  renderHeader();
  const route = ROUTES.find(([pattern]) => pattern.test(hash));
  if (!route) {
    navigate(home(), { replace: true });
    return;
  }
  const [pattern, viewOf, titleKey] = route;
  const view = viewOf(hash.match(pattern));
  const flash = rerender ? null : takeFlash();
  if (!rerender) fill(main, h("p", { class: "loading", role: "status" }, t("loading")));
  try {
    await view(main, { rerender });
  } catch (error) {
    if (seq !== renderSeq) return;
    if (!(error instanceof ApiError)) throw error;
    fill(main, h("h1", {}, t("errors.title")), notice("error", problemNode(error)));
  }
  if (seq !== renderSeq) return;
  if (flash) main.prepend(notice(flash.kind, flash.text));
  const heading = main.querySelector("h1");
  const title = titleKey ? t(titleKey) : heading?.textContent?.trim();
  document.title = `${title ? `${title} — ` : ""}${t("app.name")}`;
  // On the first page load the reader starts at the top (skip link first); after an in-app
  // navigation, focus goes to the new heading so the change is announced.
  const moveFocus = !rerender && !firstRender;
  firstRender = false;
  if (moveFocus) {
    if (hash.includes("/edit/") && main.querySelector("#step-title")) {
      main.querySelector("#step-title").focus();
    } else {
      focusHeading(main);
    }
  }
}

async function boot() {
  setUnauthorizedHandler(() => {
    setToken(null);
    setAccount(null);
    setFlash(t("signin.expired"), "warning");
    navigate("#/signin");
  });
  onLangChange(async () => {
    await render({ rerender: true });
    document.getElementById("lang-toggle")?.focus();
  });
  if (getToken()) {
    try {
      const { data } = await get("me");
      setAccount(data);
    } catch {
      setToken(null);
    }
  }
  window.addEventListener("hashchange", () => render());
  await render();
}

boot();
