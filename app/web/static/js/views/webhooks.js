// Representatives manage their organization's webhooks: add one (its secret is shown once),
// see each one's deliveries, send a test, retry a delivery, rotate the secret, remove it.

import { ApiError, del, get, post, problemNode } from "../api.js";
import { add, announce, clear, fill, h, notice } from "../dom.js";
import { formatDateTime, t } from "../i18n.js";
import { navigate, setFlash } from "../nav.js";

export const EVENTS = [
  "request.submitted",
  "request.triaged",
  "info_request.opened",
  "info_request.due_soon",
  "info_request.overdue",
  "request.decided",
  "letter.issued",
  "letter.revoked",
  "letter.reissued",
];

let shownSecret = null; // a secret survives one navigation only, to be shown once

function secretNotice(secret) {
  return notice(
    "warning",
    h("p", {}, t("hooks.secret.once")),
    h("p", {}, h("code", { id: "webhook-secret", class: "secret" }, secret)),
  );
}

function failure(holder, error) {
  if (!(error instanceof ApiError)) throw error;
  fill(holder, notice("error", problemNode(error)));
}

export async function webhooksView(main) {
  const { data: hooks } = await get("webhooks");
  const message = h("div", { id: "webhooks-msg" });
  const secret = shownSecret;
  shownSecret = null;
  fill(
    main,
    h("h1", {}, t("hooks.title")),
    h("p", {}, t("hooks.intro")),
    secret ? secretNotice(secret) : null,
    message,
    hooks.length ? hooksTable(hooks) : h("p", { id: "webhooks-empty" }, t("hooks.empty")),
    addForm(message),
  );
}

function hooksTable(hooks) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table", id: "webhooks-table" },
      h("caption", { class: "visually-hidden" }, t("hooks.caption")),
      h(
        "thead",
        {},
        h("tr", {}, ["hooks.url", "hooks.description", "hooks.events", "hooks.state"].map((k) => h("th", { scope: "col" }, t(k)))),
      ),
      h(
        "tbody",
        {},
        hooks.map((hook) =>
          h(
            "tr",
            { dataset: { id: hook.id } },
            h("th", { scope: "row" }, h("a", { href: `#/webhooks/${hook.id}` }, hook.url)),
            h("td", {}, hook.description || h("span", { class: "muted" }, "—")),
            h("td", {}, hook.events.map((e) => t(`notify.event.${e}`)).join(", ")),
            h("td", {}, t(hook.enabled ? "hooks.enabled" : "hooks.paused")),
          ),
        ),
      ),
    ),
  );
}

function addForm(message) {
  const errors = h("div", { id: "webhook-form-errors" });
  const url = h("input", { id: "webhook-url", type: "url", required: true, autocomplete: "off", "aria-describedby": "webhook-url-hint" });
  const description = h("input", { id: "webhook-description", type: "text", maxlength: "500" });
  const boxes = EVENTS.map((event) =>
    h(
      "div",
      { class: "choice" },
      h("input", { type: "checkbox", id: `event-${event}`, value: event, checked: true }),
      h("label", { for: `event-${event}` }, t(`notify.event.${event}`)),
    ),
  );
  const button = h("button", { type: "submit", class: "button", id: "add-webhook" }, t("hooks.add"));
  return h(
    "section",
    { class: "panel", "aria-labelledby": "add-webhook-title" },
    h("h2", { id: "add-webhook-title" }, t("hooks.add.title")),
    h(
      "form",
      {
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          clear(errors);
          clear(message);
          const events = boxes.map((box) => box.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
          if (!url.value.trim() || !events.length) {
            add(errors, notice("error", t(events.length ? "hooks.url.required" : "hooks.events.required")));
            return;
          }
          button.disabled = true;
          try {
            const body = { url: url.value.trim(), events };
            if (description.value.trim()) body.description = description.value.trim();
            const { data } = await post("webhooks", body);
            shownSecret = data.secret;
            setFlash(t("hooks.added"));
            navigate(`#/webhooks/${data.id}`);
          } catch (error) {
            failure(errors, error);
            button.disabled = false;
          }
        },
      },
      errors,
      h("div", { class: "field" }, h("label", { for: "webhook-url" }, t("hooks.url")), h("p", { class: "hint", id: "webhook-url-hint" }, t("hooks.url.hint")), url),
      h("div", { class: "field" }, h("label", { for: "webhook-description" }, t("hooks.description")), description),
      h("fieldset", { class: "field" }, h("legend", {}, t("hooks.events")), h("div", { class: "choices choices-columns" }, boxes)),
      h("div", { class: "button-row" }, button),
    ),
  );
}

export async function webhookView(main, { id }) {
  const [{ data: hook }, { data: page }] = await Promise.all([get(`webhooks/${id}`), get(`webhooks/${id}/deliveries?limit=50`)]);
  const message = h("div", { id: "webhook-msg" });
  const secret = shownSecret;
  shownSecret = null;
  const reload = (text) => {
    if (text) setFlash(text);
    navigate(`#/webhooks/${id}`);
  };
  const act = (buttonId, label, run, extra = "") =>
    h(
      "button",
      {
        type: "button",
        class: `button ${extra}`,
        id: buttonId,
        onclick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          clear(message);
          try {
            await run();
          } catch (error) {
            failure(message, error);
          }
          button.disabled = false;
        },
      },
      label,
    );
  fill(
    main,
    h("p", {}, h("a", { href: "#/webhooks" }, t("hooks.back"))),
    h("h1", {}, t("hooks.one.title")),
    secret ? secretNotice(secret) : null,
    message,
    h(
      "dl",
      { class: "summary-list facts" },
      [
        [t("hooks.url"), hook.url],
        [t("hooks.description"), hook.description || "—"],
        [t("hooks.events"), hook.events.map((e) => t(`notify.event.${e}`)).join(", ")],
        [t("hooks.state"), t(hook.enabled ? "hooks.enabled" : "hooks.paused")],
      ].map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))),
    ),
    h(
      "div",
      { class: "button-row" },
      act("send-test", t("hooks.test"), async () => {
        await post(`webhooks/${id}/test`);
        announce(t("hooks.test.queued"));
        reload(t("hooks.test.queued"));
      }),
      act("rotate-secret", t("hooks.rotate"), async () => {
        const { data } = await post(`webhooks/${id}/rotate-secret`);
        shownSecret = data.secret;
        reload(t("hooks.rotated"));
      }, "button-secondary"),
      act("delete-webhook", t("hooks.delete"), async () => {
        if (!window.confirm(t("hooks.delete.confirm"))) return;
        await del(`webhooks/${id}`);
        setFlash(t("hooks.deleted"));
        navigate("#/webhooks");
      }, "button-secondary"),
    ),
    deliveriesTable(id, page.items, message, reload),
  );
}

function deliveriesTable(hookId, items, message, reload) {
  const body = items.length
    ? h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table", id: "deliveries-table" },
          h("caption", { class: "visually-hidden" }, t("hooks.deliveries")),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["hooks.d.event", "col.reference", "req.status", "hooks.d.attempts", "hooks.d.code", "hooks.d.next", ""].map((k) =>
                h("th", { scope: "col" }, k ? t(k) : h("span", { class: "visually-hidden" }, t("hooks.d.actions"))),
              ),
            ),
          ),
          h(
            "tbody",
            {},
            items.map((d) =>
              h(
                "tr",
                { dataset: { id: d.id } },
                h("th", { scope: "row" }, t(`notify.event.${d.event_type}`)),
                h("td", {}, d.reference || "—"),
                h("td", {}, h("span", { class: `badge delivery-${d.status}` }, t(`notify.status.${d.status}`))),
                h("td", { class: "num" }, String(d.attempts)),
                h("td", { class: "num" }, d.last_response_code ? String(d.last_response_code) : d.last_error || "—"),
                h("td", {}, d.next_attempt_at ? formatDateTime(d.next_attempt_at) : "—"),
                h(
                  "td",
                  {},
                  d.status === "delivering"
                    ? null
                    : h(
                        "button",
                        {
                          type: "button",
                          class: "button button-secondary button-compact",
                          "aria-label": `${t("hooks.retry")}: ${t(`notify.event.${d.event_type}`)}`,
                          onclick: async () => {
                            try {
                              await post(`webhooks/${hookId}/deliveries/${d.id}/retry`);
                              reload(t("hooks.retried"));
                            } catch (error) {
                              failure(message, error);
                            }
                          },
                        },
                        t("hooks.retry"),
                      ),
                ),
              ),
            ),
          ),
        ),
      )
    : h("p", {}, t("hooks.deliveries.empty"));
  return h("section", { "aria-labelledby": "deliveries-title" }, h("h2", { id: "deliveries-title" }, t("hooks.deliveries")), body);
}

/** The case page's list of notifications sent about one request (webhooks and email). */
export async function notificationsSection(requestId) {
  const { data } = await get(`requests/${requestId}/notifications`);
  return h(
    "section",
    { "aria-labelledby": "notifications-title" },
    h("h2", { id: "notifications-title" }, t("notify.title")),
    data.length
      ? h(
          "ul",
          { class: "plain-list", id: "notifications" },
          data.map((n) =>
            h(
              "li",
              {},
              h("time", { datetime: n.created_at }, formatDateTime(n.created_at)),
              " ",
              t(`notify.event.${n.event_type}`),
              " — ",
              t(n.channel === "email" ? `notify.to.${n.to}` : "notify.to.webhook", { name: n.to }),
              " — ",
              h("span", { class: `badge delivery-${n.status}` }, t(`notify.status.${n.status}`)),
            ),
          ),
        )
      : h("p", {}, t("notify.none")),
  );
}
