// The employer's side outside the form: the organization's requests, one request's status,
// answering an information request, and downloading the letter.

import { ApiError, get, newKey, post, problemNode, saveBlob, dispositionName, api } from "../api.js";
import { add, announce, clear, fill, h, notice, setFieldError } from "../dom.js";
import { documentsPanel } from "../documents.js";
import { formSummary, renderField } from "../fields.js";
import { colon, formatDate, formatDateTime, lang, t } from "../i18n.js";
import { intakeState } from "../intake-state.js";
import { controlId, FIELD_BY_PATH, pathOf, pointerOf, STEPS } from "../schema.js";
import { navigate, setFlash, statusBadge } from "../nav.js";
import { notificationsSection } from "./webhooks.js";

export async function requestListView(main) {
  const { data } = await get("requests?limit=50");
  const rows = [...data.items];
  let cursor = data.next_cursor;
  const message = h("div", { id: "new-request-msg" });
  const startButton = h(
    "button",
    {
      type: "button",
      class: "button",
      id: "new-request",
      onclick: async () => {
        startButton.disabled = true;
        try {
          const { data: created } = await post("requests", { language: lang() }, { headers: { "Idempotency-Key": newKey() } });
          navigate(`#/requests/${created.id}/edit/request`);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          fill(message, notice("error", problemNode(error)));
          startButton.disabled = false;
        }
      },
    },
    t("list.new"),
  );
  const tableHolder = h("div", { class: "table-wrap" });
  const renderTable = () => {
    clear(tableHolder);
    if (!rows.length) {
      add(tableHolder, h("p", {}, t("list.empty")));
      return;
    }
    add(tableHolder, 
      h(
        "table",
        { class: "table", id: "requests-table" },
        h("caption", { class: "visually-hidden" }, t("list.caption")),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["col.reference", "col.worker", "col.code", "col.status", "col.updated"].map((k) => h("th", { scope: "col" }, t(k))),
          ),
        ),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              { dataset: { id: r.id } },
              h("th", { scope: "row" }, h("a", { href: r.status === "draft" ? `#/requests/${r.id}/edit/request` : `#/requests/${r.id}` }, r.reference)),
              h("td", {}, [r.worker?.family_name, r.worker?.given_names].filter(Boolean).join(", ") || h("span", { class: "muted" }, "—")),
              h("td", {}, r.exemption?.code || h("span", { class: "muted" }, "—")),
              h("td", {}, statusBadge(r.status)),
              h("td", {}, formatDateTime(r.updated_at)),
            ),
          ),
        ),
      ),
    );
    if (cursor) {
      add(tableHolder, 
        h(
          "button",
          {
            type: "button",
            class: "button button-secondary",
            onclick: async () => {
              const { data: more } = await get(`requests?limit=50&cursor=${encodeURIComponent(cursor)}`);
              rows.push(...more.items);
              cursor = more.next_cursor;
              renderTable();
            },
          },
          t("list.more"),
        ),
      );
    }
  };
  renderTable();
  fill(main, h("h1", {}, t("list.title")), message, h("div", { class: "button-row" }, startButton), tableHolder);
}

export async function newRequest() {
  navigate("#/requests", { replace: true });
}

export async function requestView(main, { id, rerender = false }) {
  const state = await intakeState(id, { fresh: !rerender });
  const request = state.request;
  if (request.status === "draft") {
    navigate(`#/requests/${id}/edit/request`, { replace: true });
    return;
  }
  const { data: infos } = await get(`requests/${id}/info-requests`);
  const open = request.status === "info_requested" ? infos.filter((i) => !i.responded_at).at(-1) : null;
  // Documents of the frozen revision stay; only those added in answer may be removed.
  const frozen = open && request.revision ? (await get(`requests/${id}/revisions/${request.revision}`)).data.document_list : [];
  const frozenIds = new Set(frozen.map((d) => d.id));
  const notifications = await notificationsSection(id);
  const cleanups = [];

  const facts = [
    [t("req.status"), statusBadge(request.status)],
    [t("col.code"), request.exemption?.code || "—"],
    [t("col.worker"), [request.worker?.family_name, request.worker?.given_names].filter(Boolean).join(", ") || "—"],
    [t("req.submitted_at"), request.submitted_at ? formatDateTime(request.submitted_at) : "—"],
    [t("req.declarant"), request.declarant_name || "—"],
  ];

  const page = h(
    "div",
    {},
    h("h1", {}, t("req.title", { ref: request.reference })),
    h("dl", { class: "summary-list facts" }, facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
    open ? infoResponse(state, open, cleanups, (doc) => !frozenIds.has(doc.id)) : null,
    request.status === "decided" ? letterSection(id, request.reference) : null,
    pastInfos(infos.filter((i) => i !== open)),
    notifications,
    h(
      "details",
      { class: "form-details" },
      h("summary", {}, t("req.view_form")),
      formSummary(request, lang(), { steps: STEPS, headingTag: "h3" }),
    ),
  );
  fill(main, page);
  main.cleanup = () => cleanups.forEach((fn) => fn && fn());
}

function pastInfos(infos) {
  if (!infos.length) return null;
  return h(
    "section",
    { "aria-labelledby": "past-info" },
    h("h2", { id: "past-info" }, t("case.info")),
    h(
      "ul",
      { class: "plain-list" },
      infos.map((info) =>
        h(
          "li",
          {},
          h("p", {}, h("strong", {}, formatDate(info.created_at)), colon(), info.message),
          info.responded_at ? h("p", { class: "hint" }, t("req.info.answered", { date: formatDate(info.responded_at) })) : null,
        ),
      ),
    ),
  );
}

/** The open information request: only the fields and document kinds it names can change here;
 * the rest of the form is frozen since submit. */
function infoResponse(state, info, cleanups, removable) {
  const kinds = info.items.map((i) => i.kind);
  const fields = info.fields || [];
  const messageId = "info-response";
  const errors = h("div", { id: "respond-errors" });
  const textarea = h("textarea", { id: messageId, rows: 3, "aria-describedby": `${messageId}-hint` });
  const fieldNodes = fields.map((pointer) => {
    const def = FIELD_BY_PATH.get(pathOf(pointer));
    return def ? renderField(state, def) : h("p", {}, pointer);
  });
  const updateMessages = () => {
    for (const pointer of fields) {
      const message = state.messageFor(pointer, { all: true });
      setFieldError(controlId(pathOf(pointer)), message?.text || "", message?.severity);
    }
  };
  cleanups.push(state.subscribe((what) => (what === "findings" || what === "messages" || what === "save") && updateMessages()));
  window.setTimeout(updateMessages, 0);
  let panel = null;
  if (kinds.length) {
    panel = documentsPanel(state, { kinds, removable });
    cleanups.push(panel.cleanup);
  }
  const button = h("button", { type: "submit", class: "button", id: "respond" }, t("req.info.respond"));
  return h(
    "section",
    { class: "panel panel-attention", "aria-labelledby": "info-title" },
    h("h2", { id: "info-title" }, t("req.info.title")),
    h("blockquote", { class: "message" }, info.message),
    h(
      "p",
      {},
      t("req.info.due", { date: formatDate(info.due_date) }),
      info.overdue ? h("span", { class: "badge badge-missing" }, t("req.info.overdue")) : null,
    ),
    kinds.length ? h("h3", {}, t("req.info.asked_docs")) : null,
    panel,
    fields.length ? h("h3", {}, t("req.info.asked_fields")) : null,
    fieldNodes,
    h("p", { class: "hint" }, t("req.info.only_asked")),
    h(
      "form",
      {
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          clear(errors);
          button.disabled = true;
          try {
            await state.scheduleSave.flush();
            const message = textarea.value.trim();
            await post(`requests/${state.id}/info-requests/${info.id}/respond`, message ? { message } : {});
            setFlash(t("req.info.responded"));
            announce(t("req.info.responded"));
            navigate(`#/requests/${state.id}`);
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            add(errors, notice("error", problemNode(error)));
            button.disabled = false;
          }
        },
      },
      errors,
      h(
        "div",
        { class: "field" },
        h("label", { for: messageId }, t("req.info.message")),
        h("p", { class: "hint", id: `${messageId}-hint` }, t("req.info.message.hint")),
        textarea,
      ),
      h("div", { class: "button-row" }, button),
    ),
  );
}

function letterSection(id, reference) {
  const message = h("div", {});
  const button = h(
    "button",
    {
      type: "button",
      class: "button",
      id: "download-letter",
      onclick: async () => {
        clear(message);
        try {
          const { data, response } = await api(`requests/${id}/letter`, { blob: true });
          saveBlob(data, dispositionName(response, `${reference}.pdf`));
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          add(message, notice("error", problemNode(error)));
        }
      },
    },
    t("req.letter.download"),
  );
  return h("section", { "aria-labelledby": "letter-title" }, h("h2", { id: "letter-title" }, t("req.letter")), message, button);
}

