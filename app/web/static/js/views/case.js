// The reviewer's case page: the form, triage findings and their reasons, documents viewed inline
// (fetched with the token into blob URLs), the timeline, asking for information, the decision
// (with If-Match) and the letter once issued; a supervisor may revoke the letter.

import { api, ApiError, get, post, problemNode } from "../api.js";
import { add, clear, errorSummary, fill, h, notice, setFieldError } from "../dom.js";
import { formSummary } from "../fields.js";
import { colon, formatBytes, formatDate, formatDateTime, lang, t } from "../i18n.js";
import { currentAccount, navigate, setFlash, statusBadge } from "../nav.js";
import { DOCUMENT_KINDS, FIELDS, pathOf, STEPS } from "../schema.js";
import { priorityReason } from "./queue.js";
import { notificationsSection } from "./webhooks.js";

const LIVE = new Set(["submitted", "in_review", "info_requested"]);

export async function caseView(main, { id }) {
  const me = currentAccount();
  const [reqRes, triageRes, eventsRes, infosRes, docsRes, mineRes] = await Promise.all([
    get(`requests/${id}`),
    get(`requests/${id}/triage`),
    get(`requests/${id}/events`),
    get(`requests/${id}/info-requests`),
    get(`requests/${id}/documents`),
    get("queue?claimed_by=me&limit=100"),
  ]);
  const request = reqRes.data;
  const version = request.version;
  const triage = triageRes.data;
  const events = eventsRes.data;
  const infos = infosRes.data;
  const docs = docsRes.data;
  // The request itself does not say who holds it; the queue does (see the report's API gaps).
  const queueItem = mineRes.data.items.find((item) => item.id === id);
  const holdsIt = Boolean(queueItem);
  const urls = [];
  main.cleanup = () => urls.forEach((url) => URL.revokeObjectURL(url));

  const reload = (message) => {
    if (message) setFlash(message);
    navigate(`#/cases/${id}`);
  };

  const decided = events.filter((e) => e.action === "case.decided").at(-1);
  const issued = events.filter((e) => e.action === "letter.issued").at(-1);
  const revoked = issued && events.some((e) => e.action === "letter.revoked" && e.subject_id === issued.subject_id);

  const actions = h("div", { class: "button-row", id: "case-actions" });
  const actionMessage = h("div", {});
  if (request.status === "submitted") {
    add(actions, actionButton("claim-case", t("case.claim"), async () => {
      await post(`requests/${id}/claim`);
      reload(t("case.claimed"));
    }, actionMessage));
  }
  if (holdsIt && (request.status === "in_review" || request.status === "info_requested")) {
    add(actions, actionButton("release-case", t("case.release"), async () => {
      await post(`requests/${id}/release`);
      reload(t("case.released"));
    }, actionMessage, "button-secondary"));
  }

  const holderText = holdsIt ? t("queue.you") : LIVE.has(request.status) && request.status !== "submitted" ? t("queue.someone") : t("queue.nobody");
  const summary = [
    [t("req.status"), statusBadge(request.status)],
    [t("col.code"), request.exemption?.code || "—"],
    [t("case.stream"), triage.stream ? t(`stream.${triage.stream}`) : "—"],
    [t("col.language"), t(`f.language.${request.language}`)],
    [t("case.priority"), [String(triage.priority), triage.urgent ? h("span", { class: "badge badge-missing" }, t("case.urgent")) : null]],
    [t("case.due"), triage.due_date ? formatDate(triage.due_date) : "—"],
    [t("req.submitted_at"), request.submitted_at ? formatDateTime(request.submitted_at) : "—"],
    [t("case.holder"), holderText],
  ];
  if (decided) {
    summary.push([t("case.decide"), t("case.decided", { outcome: t(`decision.${decided.details.outcome}`), code: decided.details.exemption_code })]);
  }

  const page = h(
    "div",
    { class: "case" },
    h("h1", {}, t("case.title", { ref: request.reference })),
    h(
      "div",
      { class: "case-top" },
      h(
        "section",
        { "aria-labelledby": "sum-title", class: "panel" },
        h("h2", { id: "sum-title" }, t("case.summary")),
        h("dl", { class: "summary-list facts" }, summary.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
        actionMessage,
        actions,
      ),
      triageSection(triage),
    ),
    request.status === "decided" && issued ? letterSection(id, issued, revoked, me, urls, reload) : null,
    documentsSection(id, docs, urls),
    holdsIt && request.status === "in_review" ? decisionForm(id, request, version, reload) : null,
    infoSection(id, infos, holdsIt && request.status === "in_review", reload),
    h(
      "section",
      { "aria-labelledby": "form-title" },
      h("h2", { id: "form-title" }, t("case.form")),
      h("div", { class: "form-columns" }, formSummary(request, lang(), { steps: STEPS, headingTag: "h3" })),
    ),
    timelineSection(events, me),
    await notificationsSection(id),
  );
  fill(main, page);
}

function actionButton(id, text, run, messageHolder, extraClass = "") {
  const button = h("button", { type: "button", class: `button ${extraClass}`, id }, text);
  button.addEventListener("click", async () => {
    clear(messageHolder);
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      add(messageHolder, notice("error", problemNode(error)));
      button.disabled = false;
    }
  });
  return button;
}

function fieldLabel(pointer) {
  const path = pathOf(pointer);
  if (path.startsWith("documents.")) return t(`kind.${path.slice(10)}`);
  const key = `f.${path}`;
  const text = t(key);
  return text === key ? pointer : text;
}

function triageSection(triage) {
  const findings = triage.findings;
  return h(
    "section",
    { "aria-labelledby": "triage-title" },
    h("h2", { id: "triage-title" }, t("case.triage")),
    triage.run ? h("p", { class: "hint" }, t("case.triage.run", { n: triage.run })) : null,
    triage.priority_reasons.length
      ? h("div", {}, h("h3", { class: "h4" }, t("case.triage.reasons")), h("ul", {}, triage.priority_reasons.map((r) => h("li", {}, priorityReason(r)))))
      : null,
    findings.length
      ? h(
          "ul",
          { class: "findings", id: "triage-findings" },
          findings.map((f) =>
            h(
              "li",
              { class: `finding finding-${f.outcome}` },
              h("span", { class: `badge badge-${f.outcome}` }, t(`outcome.${f.outcome}`)),
              " ",
              h("span", { class: "finding-message" }, f.message[lang()] || f.message.en),
              h(
                "p",
                { class: "hint" },
                `${t("case.triage.rule")}${colon()}`,
                h("code", {}, f.rule),
                f.fields.length ? ` · ${t("case.triage.fields")}${colon()}${f.fields.map(fieldLabel).join(", ")}` : "",
              ),
            ),
          ),
        )
      : h("p", {}, t("case.triage.none")),
  );
}

function documentsSection(id, docs, urls) {
  const viewer = h("div", { class: "viewer", id: "doc-viewer", "aria-live": "polite" });
  const show = async (doc, button) => {
    fill(viewer, h("p", { role: "status" }, t("loading")));
    try {
      const { data } = await api(`requests/${id}/documents/${doc.id}`, { blob: true });
      const url = URL.createObjectURL(new Blob([data], { type: doc.media_type }));
      urls.push(url);
      const name = `${t(`kind.${doc.kind}`)} — ${doc.display_name}`;
      fill(viewer, 
        h("h3", { id: "viewer-title", tabindex: "-1" }, name),
        doc.media_type === "application/pdf"
          ? h("iframe", { src: url, title: name, class: "doc-frame" })
          : h("img", { src: url, alt: name, class: "doc-image" }),
        h("p", {}, h("a", { href: url, target: "_blank", rel: "noopener" }, t("case.viewer.open"))),
      );
      viewer.querySelector("#viewer-title").focus();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(viewer, notice("error", problemNode(error)));
      button.focus();
    }
  };
  return h(
    "section",
    { "aria-labelledby": "docs-title" },
    h("h2", { id: "docs-title" }, t("case.documents")),
    h("p", { class: "hint" }, t("docs.budget.text", {
      used: formatBytes(docs.documents_bytes_used),
      total: formatBytes(docs.documents_bytes_used + docs.documents_bytes_remaining),
      left: formatBytes(docs.documents_bytes_remaining),
    })),
    docs.items.length
      ? h(
          "table",
          { class: "table", id: "case-documents" },
          h("thead", {}, h("tr", {}, ["col.kind", "col.name", "col.size", "col.action"].map((k) => h("th", { scope: "col" }, t(k))))),
          h(
            "tbody",
            {},
            docs.items.map((doc) => {
              const button = h("button", { type: "button", class: "button-link", dataset: { doc: doc.id } }, t("case.view", { name: doc.display_name }));
              button.addEventListener("click", () => show(doc, button));
              return h(
                "tr",
                {},
                h("td", {}, t(`kind.${doc.kind}`)),
                h("td", { class: "break" }, doc.display_name),
                h("td", { class: "num" }, formatBytes(doc.size_bytes)),
                h("td", {}, button),
              );
            }),
          ),
        )
      : h("p", {}, t("docs.none")),
    viewer,
  );
}

function letterSection(id, issued, revoked, me, urls, reload) {
  const frame = h("div", { class: "viewer", id: "letter-viewer" });
  api(`requests/${id}/letter`, { blob: true })
    .then(({ data }) => {
      const url = URL.createObjectURL(new Blob([data], { type: "application/pdf" }));
      urls.push(url);
      fill(frame, 
        h("iframe", { src: url, title: t("case.letter"), class: "doc-frame", id: "letter-frame" }),
        h("p", {}, h("a", { href: url, download: "letter.pdf", id: "letter-download" }, t("req.letter.download"))),
      );
    })
    .catch((error) => {
      if (!(error instanceof ApiError)) throw error;
      fill(frame, notice("error", problemNode(error)));
    });
  let revokeForm = null;
  if (me?.role === "supervisor" && !revoked) {
    const errors = h("div", {});
    const reason = h("textarea", { id: "revoke-reason", rows: 2, "aria-describedby": "revoke-reason-msg" });
    revokeForm = h(
      "form",
      {
        class: "panel",
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          clear(errors);
          setFieldError("revoke-reason", "");
          if (!reason.value.trim()) {
            setFieldError("revoke-reason", t("case.revoke.reason_required"));
            add(errors, errorSummary([{ text: t("case.revoke.reason_required"), target: "revoke-reason" }], { focus: true }));
            return;
          }
          try {
            await post(`letters/${issued.subject_id}/revoke`, { reason: reason.value.trim() });
            reload(t("case.revoke.done"));
          } catch (error) {
            if (!(error instanceof ApiError)) throw error;
            add(errors, notice("error", problemNode(error)));
          }
        },
      },
      h("h3", {}, t("case.revoke")),
      errors,
      h("div", { class: "field" }, h("label", { for: "revoke-reason" }, t("case.revoke.reason")), h("p", { class: "field-msg", id: "revoke-reason-msg", hidden: true }), reason),
      h("div", { class: "button-row" }, h("button", { type: "submit", class: "button button-danger", id: "revoke-submit" }, t("case.revoke.submit"))),
    );
  }
  return h(
    "section",
    { "aria-labelledby": "letter-title" },
    h("h2", { id: "letter-title" }, t("case.letter")),
    revoked ? notice("warning", t("case.letter.revoked")) : null,
    frame,
    revokeForm,
  );
}

function linesOf(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

function decisionForm(id, request, version, reload) {
  const errors = h("div", { id: "decision-errors" });
  const radios = (name, options, checked) =>
    h(
      "div",
      { class: "choices choices-inline" },
      options.map(([value, text], index) =>
        h(
          "div",
          { class: "choice" },
          h("input", { type: "radio", name, id: index === 0 ? `dec-${name}` : `dec-${name}-${value}`, value, checked: value === checked }),
          h("label", { for: index === 0 ? `dec-${name}` : `dec-${name}-${value}` }, text),
        ),
      ),
    );
  const field = (id2, label, control, hint) =>
    h(
      "div",
      { class: "field" },
      h("label", { for: id2 }, label),
      hint ? h("p", { class: "hint", id: `${id2}-hint` }, hint) : null,
      h("p", { class: "field-msg", id: `${id2}-msg`, hidden: true }),
      control,
    );
  const code = h("input", { id: "dec-code", type: "text", class: "width-s", value: request.exemption?.code || "", "aria-describedby": "dec-code-msg" });
  const reasons = h("textarea", { id: "dec-reasons", rows: 3, "aria-describedby": "dec-reasons-hint dec-reasons-msg" });
  const conditions = h("textarea", { id: "dec-conditions", rows: 3, "aria-describedby": "dec-conditions-hint dec-conditions-msg" });
  const lmia = h("input", { type: "checkbox", id: "dec-lmia" });
  const button = h("button", { type: "submit", class: "button", id: "decide" }, t("case.decide.submit"));
  const previewArea = h("div", { id: "letter-preview", "aria-live": "polite" });
  const readBody = () => ({
    outcome: form.querySelector("input[name=outcome]:checked")?.value,
    exemption_code: code.value.trim(),
    reasons: linesOf(reasons.value),
    conditions: linesOf(conditions.value),
    letter_language: form.querySelector("input[name=letter_language]:checked")?.value,
    suggest_lmia_route: lmia.checked,
  });
  const previewButton = h(
    "button",
    {
      type: "button",
      class: "button button-secondary",
      id: "preview-letter",
      onclick: async () => {
        clear(previewArea);
        try {
          const { data } = await api(`requests/${id}/decision/preview`, { method: "POST", body: readBody(), blob: true });
          const url = URL.createObjectURL(new Blob([data], { type: "application/pdf" }));
          add(previewArea, h("iframe", { src: url, title: t("case.decide.preview"), class: "doc-frame", id: "preview-frame" }));
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          add(previewArea, notice("error", problemNode(error)));
        }
      },
    },
    t("case.decide.preview"),
  );
  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        for (const fid of ["dec-outcome", "dec-code", "dec-reasons"]) setFieldError(fid, "");
        const body = readBody();
        const outcome = body.outcome;
        if (outcome !== "positive" && !body.reasons.length) {
          setFieldError("dec-reasons", t("case.decide.reasons_required"));
          add(errors, errorSummary([{ text: t("case.decide.reasons_required"), target: "dec-reasons" }], { focus: true }));
          return;
        }
        button.disabled = true;
        try {
          await post(`requests/${id}/decision`, body, { headers: { "If-Match": `"${version}"` } });
          reload(t("case.decide.done"));
        } catch (error) {
          button.disabled = false;
          if (!(error instanceof ApiError)) throw error;
          const map = { "/exemption_code": "dec-code", "/reasons": "dec-reasons", "/outcome": "dec-outcome" };
          const items = (error.problem.errors || []).map((e) => {
            const target = map[e.pointer.replace(/\/\d+$/, "")];
            if (target) setFieldError(target, e.message);
            return { text: e.message, target };
          });
          add(errors, items.length ? errorSummary(items, { focus: true }) : notice("error", problemNode(error)));
          if (!items.length) errors.querySelector(".notice").setAttribute("tabindex", "-1");
          if (!items.length) errors.querySelector(".notice").focus();
        }
      },
    },
    errors,
    h(
      "fieldset",
      { class: "field", "aria-describedby": "dec-outcome-msg" },
      h("legend", {}, t("case.decide.outcome")),
      h("p", { class: "field-msg", id: "dec-outcome-msg", hidden: true }),
      radios("outcome", ["positive", "negative", "not_eligible"].map((o) => [o, t(`decision.${o}`)]), "positive"),
    ),
    field("dec-code", t("case.decide.code"), code),
    field("dec-reasons", t("case.decide.reasons"), reasons, t("case.decide.reasons.hint")),
    field("dec-conditions", t("case.decide.conditions"), conditions, t("case.decide.conditions.hint")),
    h(
      "fieldset",
      { class: "field" },
      h("legend", {}, t("case.decide.language")),
      radios("letter_language", [["en", t("f.language.en")], ["fr", t("f.language.fr")]], request.language),
    ),
    h("div", { class: "field field-check" }, h("div", { class: "choice" }, lmia, h("label", { for: "dec-lmia" }, t("case.decide.lmia")))),
    h("div", { class: "button-row" }, previewButton, button),
    previewArea,
  );
  return h("section", { "aria-labelledby": "decide-title", class: "panel" }, h("h2", { id: "decide-title" }, t("case.decide")), form);
}

function infoSection(id, infos, canAsk, reload) {
  const list = infos.length
    ? h(
        "ul",
        { class: "plain-list", id: "info-list" },
        infos.map((info) =>
          h(
            "li",
            { class: "panel" },
            h("p", {}, h("strong", {}, formatDateTime(info.created_at)), colon(), info.message),
            h(
              "p",
              { class: "hint" },
              info.items.map((item) => (item.kind ? t(`kind.${item.kind}`) : fieldLabel(item.field))).join(", "),
              " · ",
              t("req.info.due", { date: formatDate(info.due_date) }),
              info.overdue ? h("span", { class: "badge badge-missing" }, t("req.info.overdue")) : null,
            ),
            info.responded_at
              ? h("p", {}, t("req.info.answered", { date: formatDateTime(info.responded_at) }), info.response_message ? [colon(), info.response_message] : null)
              : null,
          ),
        ),
      )
    : h("p", {}, t("req.info.none"));
  return h(
    "section",
    { "aria-labelledby": "info-title" },
    h("h2", { id: "info-title" }, t("case.info")),
    list,
    canAsk ? askForm(id, reload) : null,
  );
}

function askForm(id, reload) {
  const errors = h("div", { id: "ask-errors" });
  const due = new Date(Date.now() + 14 * 86400000).toISOString().slice(0, 10);
  const message = h("textarea", { id: "ask-message", rows: 3, "aria-describedby": "ask-message-msg" });
  const fields = h(
    "select",
    { id: "ask-fields", multiple: true, size: 6, "aria-describedby": "ask-fields-hint" },
    FIELDS.filter((f) => !["code", "presence"].includes(f.type)).map((f) =>
      h("option", { value: `/${f.path.replaceAll(".", "/")}` }, `${t(`step.${f.step}`)} — ${t(`f.${f.path}`)}`),
    ),
  );
  const dueInput = h("input", { id: "ask-due", type: "date", value: due, class: "width-m" });
  const button = h("button", { type: "submit", class: "button", id: "ask-submit" }, t("case.ask.submit"));
  const form = h(
    "form",
    {
      class: "panel",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        setFieldError("ask-message", "");
        setFieldError("ask-kind-passport_bio_page", "");
        const kinds = [...form.querySelectorAll("input[name=ask-kind]:checked")].map((i) => ({ kind: i.value }));
        const chosen = [...fields.selectedOptions].map((o) => ({ field: o.value }));
        const problems = [];
        if (!message.value.trim()) problems.push(["ask-message", t("case.ask.message_required")]);
        if (!kinds.length && !chosen.length) problems.push(["ask-kind-passport_bio_page", t("case.ask.items_required")]);
        for (const [target, text] of problems) setFieldError(target, text);
        if (problems.length) {
          add(errors, errorSummary(problems.map(([target, text]) => ({ target, text })), { focus: true }));
          return;
        }
        button.disabled = true;
        try {
          await post(`requests/${id}/info-requests`, { message: message.value.trim(), items: [...kinds, ...chosen], due_date: dueInput.value });
          reload(t("case.ask.sent"));
        } catch (error) {
          button.disabled = false;
          if (!(error instanceof ApiError)) throw error;
          add(errors, notice("error", problemNode(error)));
        }
      },
    },
    h("h3", {}, t("case.ask")),
    errors,
    h("div", { class: "field" }, h("label", { for: "ask-message" }, t("case.ask.message")), h("p", { class: "field-msg", id: "ask-message-msg", hidden: true }), message),
    h(
      "fieldset",
      { class: "field", "aria-describedby": "ask-kind-passport_bio_page-msg" },
      h("legend", {}, t("case.ask.kinds")),
      h("p", { class: "field-msg", id: "ask-kind-passport_bio_page-msg", hidden: true }),
      h(
        "div",
        { class: "choices choices-columns" },
        DOCUMENT_KINDS.map((kind) =>
          h("div", { class: "choice" }, h("input", { type: "checkbox", name: "ask-kind", id: `ask-kind-${kind}`, value: kind }), h("label", { for: `ask-kind-${kind}` }, t(`kind.${kind}`))),
        ),
      ),
    ),
    h("div", { class: "field" }, h("label", { for: "ask-fields" }, t("case.ask.fields")), h("p", { class: "hint", id: "ask-fields-hint" }, t("case.ask.fields.hint")), fields),
    h("div", { class: "field" }, h("label", { for: "ask-due" }, t("case.ask.due")), dueInput),
    h("div", { class: "button-row" }, button),
  );
  return form;
}

function timelineSection(events, me) {
  return h(
    "section",
    { "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, t("case.timeline")),
    h(
      "ol",
      { class: "timeline", id: "timeline" },
      events.map((event) =>
        h(
          "li",
          {},
          h("time", { datetime: event.created_at }, formatDateTime(event.created_at)),
          " ",
          h("span", {}, t(`event.${event.action}`)),
          event.actor_id && event.actor_id === me?.id ? h("span", { class: "muted" }, ` (${t("queue.you")})`) : null,
        ),
      ),
    ),
  );
}
