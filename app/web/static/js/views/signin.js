// Sign in with an API token, kept in sessionStorage (this tab only).

import { ApiError, get, problemNode, setToken } from "../api.js";
import { add, clear, errorSummary, fill, h, notice, setFieldError } from "../dom.js";
import { t } from "../i18n.js";
import { currentAccount, navigate, setAccount } from "../nav.js";

export async function signinView(main) {
  const account = currentAccount();
  const errors = h("div", { id: "signin-errors" });
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    class: "width-l",
    "aria-describedby": "token-hint token-msg",
  });
  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        setFieldError("token", "");
        const token = input.value.trim();
        if (!token) {
          setFieldError("token", t("signin.required"));
          add(errors, errorSummary([{ text: t("signin.required"), target: "token" }], { focus: true }));
          return;
        }
        setToken(token);
        try {
          const { data } = await get("me", { auth: true });
          setAccount(data);
          if (data.role === "admin") {
            add(errors, notice("warning", t("signin.admin")));
            return;
          }
          navigate(data.role === "representative" ? "#/requests" : "#/queue");
        } catch (error) {
          setToken(null);
          setAccount(null);
          if (!(error instanceof ApiError)) throw error;
          const text = error.status === 401 ? t("signin.invalid") : null;
          setFieldError("token", text || problemNode(error).textContent);
          add(errors, 
            errorSummary([{ text: text || problemNode(error).textContent, target: "token" }], { focus: true }),
          );
        }
      },
    },
    errors,
    h(
      "div",
      { class: "field" },
      h("label", { for: "token" }, t("signin.token")),
      h("p", { class: "hint", id: "token-hint" }, t("signin.token.hint")),
      h("p", { class: "field-msg", id: "token-msg", hidden: true }),
      input,
    ),
    h("div", { class: "button-row" }, h("button", { type: "submit", class: "button", id: "signin-submit" }, t("signin.submit"))),
  );
  fill(main, 
    h(
      "div",
      { class: "narrow" },
      h("h1", {}, t("signin.title")),
      h("p", { class: "lead" }, t("signin.intro")),
      account?.role === "admin" ? notice("warning", t("signin.admin")) : null,
      form,
    ),
  );
}
