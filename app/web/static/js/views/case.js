// The reviewer's case page: the form, its frozen revisions and what changed between them, triage
// findings with the holder's resolutions, documents viewed inline (fetched with the token into blob
// URLs), the timeline, asking for information, the decision (with If-Match; disabled, saying why,
// while the revision cannot carry it) and the letter once issued; a supervisor may revoke it.

import { api, ApiError, get, post, problemNode } from "../api.js";
import { add, clear, errorSummary, fill, h, notice, setFieldError } from "../dom.js";
import { formSummary } from "../fields.js";
import { colon, formatBytes, formatDate, formatDateTime, lang, t } from "../i18n.js";
import { currentAccount, navigate, setFlash, statusBadge } from "../nav.js";
import { DOCUMENT_KINDS, FIELDS, pathOf, pointerOf, STEPS } from "../schema.js";
import { priorityReason } from "./queue.js";
import { notificationsSection } from "./webhooks.js";

const LIVE = new Set(["submitted", "in_review", "info_requested"]);
// The worker's identity never changes after submit (the API refuses to ask for it).
const IDENTITY = new Set([
  "/worker/family_name", "/worker/given_names", "/worker/date_of_birth", "/worker/citizenship",
  "/worker/passport/number", "/worker/passport/issuing_country",
]);

export async function caseView(main, { id }) {
  const me = currentAccount();
  const [reqRes, triageRes, eventsRes, infosRes, docsRes, mineRes, revisionsRes] = await Promise.all([
    get(`requests/${id}`),
    get(`requests/${id}/triage`),
    get(`requests/${id}/events`),
    get(`requests/${id}/info-requests`),
    get(`requests/${id}/documents`),
    get("queue?claimed_by=me&limit=100"),
    get(`requests/${id}/revisions`),
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
  const revisions = revisionsRes.data;
  const deciding = holdsIt && request.status === "in_review";
  const readiness = deciding ? (await get(`requests/${id}/decision/readiness`)).data : null;
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
    [t("case.revision"), request.revision ? String(request.revision) : "—"],
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
      triageSection(id, triage, deciding, reload),
    ),
    request.status === "decided" && issued ? letterSection(id, issued, revoked, me, urls, reload) : null,
    revisionsSection(revisions, docs),
    documentsSection(id, docs, urls),
    deciding ? decisionForm(id, request, version, reload, readiness, triage) : null,
    infoSection(id, infos, deciding, reload),
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

function triageSection(id, triage, canResolve, reload) {
  const findings = triage.findings;
  return h(
    "section",
    { "aria-labelledby": "triage-title" },
    h("h2", { id: "triage-title" }, t("case.triage")),
    triage.run ? h("p", { class: "hint" }, t("case.triage.run_of", { n: triage.run, revision: triage.revision ?? "—" })) : null,
    triage.priority_reasons.length
      ? h("div", {}, h("h3", { class: "h4" }, t("case.triage.reasons")), h("ul", {}, triage.priority_reasons.map((r) => h("li", {}, priorityReason(r)))))
      : null,
    findings.length
      ? h(
          "ul",
          { class: "findings", id: "triage-findings" },
          findings.map((f, index) =>
            h(
              "li",
              { class: `finding finding-${f.outcome}`, dataset: { rule: f.rule, finding: f.id } },
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
              f.resolution ? resolutionNote(f.resolution) : null,
              canResolve && f.outcome !== "block" ? resolutionForm(id, f, index, reload) : null,
            ),
          ),
        )
      : h("p", {}, t("case.triage.none")),
  );
}

function resolutionNote(resolution) {
  return h(
    "p",
    { class: "resolution" },
    h("span", { class: `badge badge-${resolution.resolution === "accepted" ? "pass" : "warn"}` }, t(`case.resolution.${resolution.resolution}`)),
    " ",
    t("case.resolution.when", { date: formatDateTime(resolution.resolved_at) }),
    resolution.note ? [colon(), h("q", {}, resolution.note)] : null,
  );
}

/** The holder's controls for one finding: accept it, or override it with a note. */
function resolutionForm(id, finding, index, reload) {
  const prefix = `res-${index}`;
  const errors = h("div", {});
  const note = h("textarea", { id: `${prefix}-note`, rows: 2, "aria-describedby": `${prefix}-note-msg` });
  const choice = (value, checked) =>
    h(
      "div",
      { class: "choice" },
      h("input", { type: "radio", name: `${prefix}-choice`, id: `${prefix}-${value}`, value, checked }),
      h("label", { for: `${prefix}-${value}` }, t(`case.resolution.${value}.choose`)),
    );
  const current = finding.resolution?.resolution || "accepted";
  const button = h("button", { type: "submit", class: "button button-secondary", id: `${prefix}-submit` }, t("case.resolution.submit"));
  const form = h(
    "form",
    {
      class: "resolution-form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        setFieldError(`${prefix}-note`, "");
        const resolution = form.querySelector(`input[name=${prefix}-choice]:checked`).value;
        const text = note.value.trim();
        if (resolution === "overridden" && !text) {
          setFieldError(`${prefix}-note`, t("case.resolution.note_required"));
          note.focus();
          return;
        }
        button.disabled = true;
        try {
          await post(`requests/${id}/findings/${finding.id}/resolution`, text ? { resolution, note: text } : { resolution });
          reload(t("case.resolution.done"));
        } catch (error) {
          button.disabled = false;
          if (!(error instanceof ApiError)) throw error;
          add(errors, notice("error", problemNode(error)));
        }
      },
    },
    errors,
    h(
      "fieldset",
      { class: "field" },
      h("legend", { class: "visually-hidden" }, t("case.resolution.legend")),
      h("div", { class: "choices choices-inline" }, choice("accepted", current === "accepted"), choice("overridden", current === "overridden")),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: `${prefix}-note` }, t("case.resolution.note")),
      h("p", { class: "field-msg", id: `${prefix}-note-msg`, hidden: true }),
      note,
    ),
    h("div", { class: "button-row" }, button),
  );
  return form;
}

/** Each frozen revision and what changed since the one before (field paths, documents added). */
function revisionsSection(revisions, docs) {
  if (!revisions.length) return null;
  const names = new Map(docs.items.map((d) => [d.id, d.display_name]));
  const changeList = (changes) =>
    h(
      "ul",
      { class: "changes" },
      changes.fields.map((pointer) => h("li", {}, t("case.revisions.field", { field: fieldLabel(pointer) }))),
      changes.documents_added.map((d) =>
        h("li", {}, t("case.revisions.document", { kind: t(`kind.${d.kind}`), name: names.get(d.id) || d.id })),
      ),
      !changes.fields.length && !changes.documents_added.length ? h("li", {}, t("case.revisions.nothing")) : null,
    );
  const latest = revisions.at(-1);
  return h(
    "section",
    { "aria-labelledby": "revisions-title", id: "revisions" },
    h("h2", { id: "revisions-title" }, t("case.revisions")),
    latest.changes
      ? h(
          "div",
          { class: "notice notice-info", id: "revision-changes" },
          h("p", {}, h("strong", {}, t("case.revisions.changed", { n: latest.number, since: latest.changes.since }))),
          changeList(latest.changes),
        )
      : null,
    h(
      "ol",
      { class: "plain-list", id: "revision-list" },
      revisions.map((r) =>
        h(
          "li",
          { dataset: { revision: r.number } },
          h("strong", {}, t("case.revisions.number", { n: r.number })),
          " — ",
          t(r.info_request_id ? "case.revisions.answered" : "case.revisions.submitted", { date: formatDateTime(r.created_at) }),
          h("span", { class: "hint" }, ` · ${t("case.revisions.documents", { count: r.documents })} · ${t("case.revisions.reference", { version: r.reference_version })}`),
          r.changes && r !== latest ? changeList(r.changes) : null,
        ),
      ),
    ),
  );
}

/** A `decision_blocked` reason in the page's words. */
function reasonText(reason, triage) {
  const finding = triage.findings.find((f) => f.id === reason.finding_id);
  const message = finding ? finding.message[lang()] || finding.message.en : reason.detail;
  switch (reason.code) {
    case "blocking_finding":
    case "finding_unresolved":
      return t(`case.blocked.${reason.code}`, { message });
    case "required_document_missing":
      return t("case.blocked.required_document_missing", { kind: t(`kind.${reason.kind}`) });
    case "letter_fact_missing":
      return t("case.blocked.letter_fact_missing", { field: fieldLabel(reason.field) });
    default:
      return t("case.blocked.no_revision");
  }
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

function decisionForm(id, request, version, reload, readiness, triage) {
  const errors = h("div", { id: "decision-errors" });
  const blockers = h("div", { id: "decision-blockers", "aria-live": "polite" });
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
  const button = h("button", { type: "submit", class: "button", id: "decide", "aria-describedby": "decision-blockers" }, t("case.decide.submit"));
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
  // The decision stays disabled, saying why, while the revision cannot carry the chosen outcome.
  const showBlockers = () => {
    const outcome = form.querySelector("input[name=outcome]:checked")?.value;
    const reasons = readiness.reasons.filter((r) => r.outcomes.includes(outcome));
    button.disabled = previewButton.disabled = reasons.length > 0;
    fill(
      blockers,
      reasons.length
        ? notice(
            "warning",
            h("p", {}, h("strong", {}, t("case.blocked.title", { n: readiness.revision ?? "—", outcome: t(`decision.${outcome}`) }))),
            h("ul", { id: "blocker-list" }, reasons.map((r) => h("li", { dataset: { code: r.code } }, reasonText(r, triage)))),
          )
        : null,
    );
  };
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
          const blocked = error.code === "decision_blocked" ? h("ul", {}, (error.problem.reasons || []).map((r) => h("li", {}, reasonText(r, triage)))) : null;
          add(errors, items.length ? errorSummary(items, { focus: true }) : notice("error", problemNode(error), blocked));
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
    blockers,
    h("div", { class: "button-row" }, previewButton, button),
    previewArea,
  );
  form.addEventListener("change", (event) => {
    if (event.target.name === "outcome") showBlockers();
  });
  showBlockers();
  return h(
    "section",
    { "aria-labelledby": "decide-title", class: "panel" },
    h("h2", { id: "decide-title" }, t("case.decide")),
    h("p", { class: "hint" }, t("case.decide.on_revision", { n: readiness.revision ?? "—" })),
    form,
  );
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
              [...info.items.map((item) => t(`kind.${item.kind}`)), ...(info.fields || []).map(fieldLabel)].join(", "),
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
    FIELDS.filter((f) => !["code", "presence"].includes(f.type) && !IDENTITY.has(pointerOf(f.path))).map((f) =>
      h("option", { value: pointerOf(f.path) }, `${t(`step.${f.step}`)} — ${t(`f.${f.path}`)}`),
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
        const chosen = [...fields.selectedOptions].map((o) => o.value);
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
          await post(`requests/${id}/info-requests`, { message: message.value.trim(), items: kinds, fields: chosen, due_date: dueInput.value });
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
