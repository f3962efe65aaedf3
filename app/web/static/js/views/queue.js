// The reviewer's queue: filters, the waiting and claimed cases by priority, and "claim next".

import { ApiError, get, post, problemNode } from "../api.js";
import { add, clear, fill, h, notice } from "../dom.js";
import { formatDate, formatDateTime, t } from "../i18n.js";
import { currentAccount, navigate, statusBadge } from "../nav.js";
import { STREAMS } from "../schema.js";

const STATUSES = ["submitted", "in_review", "info_requested"];

export function priorityReason(reason) {
  let m;
  if (reason === "entry_date_passed") return t("reason.entry_date_passed");
  if ((m = reason.match(/^entry_within_(\d+)_business_days$/))) return t("reason.entry_within", { n: m[1] });
  if ((m = reason.match(/^(\d+)_review_findings$/))) return t("reason.review_findings", { n: m[1] });
  if ((m = reason.match(/^waiting_(\d+)_business_days$/))) return t("reason.waiting", { n: m[1] });
  return reason;
}

export async function queueView(main, { query }) {
  const stream = STREAMS.includes(query.get("stream")) ? query.get("stream") : "";
  const language = ["en", "fr"].includes(query.get("language")) ? query.get("language") : "";
  const status = STATUSES.includes(query.get("status")) ? query.get("status") : "";
  const mine = query.get("mine") === "1";
  const params = new URLSearchParams({ limit: "50" });
  if (stream) params.set("stream", stream);
  if (language) params.set("language", language);
  if (status) params.set("status", status);
  if (mine) params.set("claimed_by", "me");
  const { data } = await get(`queue?${params}`);
  const me = currentAccount();

  const select = (id, label, value, options) =>
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h(
        "select",
        { id, name: id },
        h("option", { value: "" }, t("queue.any")),
        options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
      ),
    );

  const filters = h(
    "form",
    {
      class: "filters",
      "aria-labelledby": "filters-title",
      onsubmit: (event) => {
        event.preventDefault();
        const form = event.target;
        const next = new URLSearchParams();
        for (const name of ["stream", "language", "status"]) if (form[name].value) next.set(name, form[name].value);
        if (form.mine.checked) next.set("mine", "1");
        navigate(`#/queue${next.toString() ? `?${next}` : ""}`);
      },
    },
    h("h2", { id: "filters-title", class: "h3" }, t("queue.filters")),
    h(
      "div",
      { class: "filter-row" },
      select("stream", t("queue.stream"), stream, STREAMS.map((s) => [s, t(`stream.${s}`)])),
      select("language", t("queue.language"), language, [["en", t("f.language.en")], ["fr", t("f.language.fr")]]),
      select("status", t("queue.status"), status, STATUSES.map((s) => [s, t(`status.${s}`)])),
      h(
        "div",
        { class: "field field-check" },
        h("div", { class: "choice" }, h("input", { type: "checkbox", id: "mine", name: "mine", checked: mine }), h("label", { for: "mine" }, t("queue.mine"))),
      ),
      h("div", { class: "field" }, h("button", { type: "submit", class: "button button-secondary" }, t("queue.apply"))),
    ),
  );

  const claimMessage = h("div", { id: "claim-message" });
  const claimButton = h(
    "button",
    {
      type: "button",
      class: "button",
      id: "claim-next",
      "aria-describedby": "claim-hint",
      onclick: async () => {
        clear(claimMessage);
        claimButton.disabled = true;
        try {
          const { status: code, data: claimed } = await post("queue/claim", {
            streams: stream ? [stream] : [],
            languages: language ? [language] : [],
          });
          if (code === 204 || !claimed) {
            add(claimMessage, notice("info", t("queue.none_waiting")));
          } else {
            navigate(`#/cases/${claimed.id}`);
          }
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          add(claimMessage, notice("error", problemNode(error)));
        } finally {
          claimButton.disabled = false;
        }
      },
    },
    t("queue.claim_next"),
  );

  const holder = (item) => {
    if (!item.claimed_by_id) return t("queue.nobody");
    return item.claimed_by_id === me?.id ? t("queue.you") : t("queue.someone");
  };
  const findings = (counts) =>
    Object.entries(counts || {})
      .filter(([, n]) => n)
      .map(([outcome, n]) => h("span", { class: `badge badge-${outcome}` }, `${n} ${t(`outcome.${outcome}`)}`));

  const table = data.items.length
    ? h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table", id: "queue-table" },
          h("caption", { class: "visually-hidden" }, t("queue.caption")),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["col.reference", "col.code", "col.stream", "col.language", "col.status", "col.priority", "col.submitted", "col.due", "col.claimed", "col.findings"].map((k) =>
                h("th", { scope: "col" }, t(k)),
              ),
            ),
          ),
          h(
            "tbody",
            {},
            data.items.map((item) =>
              h(
                "tr",
                { dataset: { id: item.id } },
                h("th", { scope: "row" }, h("a", { href: `#/cases/${item.id}` }, item.reference)),
                h("td", {}, item.exemption_code || "—"),
                h("td", {}, item.stream ? t(`stream.${item.stream}`) : "—"),
                h("td", {}, t(`f.language.${item.language}`)),
                h("td", {}, statusBadge(item.status), item.info_overdue ? h("span", { class: "badge badge-missing" }, t("queue.info_overdue")) : null),
                h("td", { class: "num", title: item.priority_reasons.map(priorityReason).join("; ") }, String(item.priority)),
                h("td", {}, formatDateTime(item.submitted_at)),
                h("td", {}, formatDate(item.due_date), item.past_due ? h("span", { class: "badge badge-missing" }, t("queue.past_due")) : null),
                h("td", {}, holder(item)),
                h("td", {}, findings(item.findings)),
              ),
            ),
          ),
        ),
      )
    : h("p", {}, t("queue.empty"));

  fill(main, 
    h("h1", {}, t("queue.title")),
    filters,
    h(
      "div",
      { class: "claim-box" },
      claimButton,
      h("p", { class: "hint", id: "claim-hint" }, t("queue.claim_hint")),
      claimMessage,
    ),
    table,
  );
}
