// Shared by the views: navigation, the one-shot flash message, the signed-in account, badges.

import { h } from "./dom.js";
import { t } from "./i18n.js";

let flash = null;
let account = null;

export function navigate(hash, { replace = false } = {}) {
  if (location.hash === hash) {
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    return;
  }
  if (replace) {
    history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

export function setFlash(text, kind = "success") {
  flash = { text, kind };
}

export function takeFlash() {
  const value = flash;
  flash = null;
  return value;
}

export function setAccount(value) {
  account = value;
}

export function currentAccount() {
  return account;
}

export function isStaff() {
  return account && (account.role === "reviewer" || account.role === "supervisor");
}

export function statusBadge(status) {
  return h("span", { class: `badge status status-${status}` }, t(`status.${status}`));
}
