// The employer's guided IMM 5686 form: one step per section, autosaved, checked live by
// POST /requests/{id}/validate, with an exemption-code picker, documents and the declaration.

import { ApiError, post, problemNode } from "../api.js";
import { add, announce, clear, errorSummary, fill, focusField, h, notice, setFieldError } from "../dom.js";
import { displayValue, renderField } from "../fields.js";
import { colon, formatBytes, lang, t } from "../i18n.js";
import { documentsPanel } from "../documents.js";
import { intakeState } from "../intake-state.js";
import { controlId, FIELDS, pathOf, STEPS, stepOfPointer } from "../schema.js";
import { navigate, setFlash, statusBadge } from "../nav.js";

const STEP_IDS = STEPS.map((s) => s.id);

export async function intakeView(main, { id, step = "request", rerender = false }) {
  // The same state across steps and language switches: touched fields, left steps and unsaved
  // values survive; a stale version is caught by If-Match (412) and reloaded.
  const state = await intakeState(id);
  if (state.request.status !== "draft") {
    navigate(`#/requests/${id}`, { replace: true });
    return;
  }
  if (!STEP_IDS.includes(step)) step = "request";
  const index = STEP_IDS.indexOf(step);
  const request = state.request;
  const cleanups = [];

  const saveStatus = h("span", { class: "save-status", id: "save-status" });
  const issueStatus = h("p", { class: "visually-hidden", role: "status", id: "issue-status" });
  const issuesBox = h("div", { id: "step-issues" });
  const stepNav = h("nav", { class: "steps", "aria-label": t("form.steps") });

  const page = h(
    "div",
    { class: "intake" },
    h("h1", {}, t("form.title", { ref: request.reference }), " ", statusBadge(request.status)),
    h("p", { class: "lead" }, t("form.autosave"), " ", saveStatus),
    h(
      "div",
      { class: "intake-layout" },
      stepNav,
      h(
        "section",
        { class: "step", "aria-labelledby": "step-title" },
        h(
          "h2",
          { id: "step-title", tabindex: "-1" },
          h("span", { class: "step-count" }, t("form.step_of", { n: index + 1, total: STEP_IDS.length })),
          " ",
          t(`step.${step}`),
        ),
        issuesBox,
        issueStatus,
        await stepBody(state, step, cleanups),
        stepButtons(state, step, index),
      ),
    ),
  );
  fill(main, page);

  const leave = () => {
    state.checkedSteps.add(step);
  };
  const renderNav = () => {
    fill(stepNav, 
      h(
        "ol",
        {},
        STEPS.map((s, i) => {
          const blocking = state.checkedSteps.has(s.id) && s.id !== "review" ? state.blockingCount(s.id) : 0;
          return h(
            "li",
            { class: s.id === step ? "is-current" : "" },
            h(
              "a",
              {
                href: `#/requests/${id}/edit/${s.id}`,
                "aria-current": s.id === step ? "step" : null,
                onclick: leave,
              },
              h("span", { class: "step-num" }, `${i + 1}.`),
              " ",
              t(`step.${s.id}`),
              blocking ? h("span", { class: "badge badge-missing" }, String(blocking)) : null,
            ),
          );
        }),
      ),
    );
  };

  let lastCount = -1;
  const renderMessages = () => {
    for (const def of FIELDS) {
      if (def.step !== step) continue;
      const message = state.messageFor(`/${def.path.replaceAll(".", "/")}`);
      setFieldError(controlId(def.path), message?.text || "", message?.severity);
    }
    if (step !== "review" && step !== "documents") {
      const issues = state.issuesOf(step);
      clear(issuesBox);
      if (issues.length) add(issuesBox, summaryOf(issues, state.checkedSteps.has(step) ? t("form.step_issues") : undefined));
      if (issues.length !== lastCount) {
        issueStatus.textContent = issues.length ? t("errors.count", { n: issues.length }) : "";
        lastCount = issues.length;
      }
    }
    renderNav();
  };
  const renderSave = () => {
    const words = { pending: "", saving: t("saving"), saved: t("saved"), failed: t("save_failed"), idle: "" };
    fill(saveStatus, words[state.saveState] || "");
    saveStatus.className = `save-status is-${state.saveState}`;
    if (state.saveState === "failed" && state.saveError) {
      add(saveStatus, " — ", problemNode(state.saveError));
    }
  };
  const redraw = () => {
    main.cleanup?.();
    main.cleanup = null;
    return intakeView(main, { id, step, rerender: true });
  };
  renderMessages();
  renderSave();
  cleanups.push(
    state.subscribe((what) => {
      if (what === "save" || what === "dirty") renderSave();
      if (what === "findings" || what === "messages" || what === "save") renderMessages();
      if (what === "representative" && step === "representative") {
        redraw().then(() => document.getElementById(controlId("representative.present"))?.focus());
      }
      if (what === "reloaded") redraw();
    }),
  );
  page.cleanup = () => {
    cleanups.forEach((fn) => fn && fn());
    if (state.dirty.size) state.scheduleSave.flush();
  };
  main.cleanup = page.cleanup;
}

function summaryOf(issues, title) {
  return errorSummary(
    issues.map((issue) => ({
      text: `${labelOf(issue.pointer)}${colon()}${issue.text}`,
      target: targetOf(issue.pointer),
    })),
    { title },
  );
}

function labelOf(pointer) {
  const path = pathOf(pointer);
  if (path.startsWith("documents.")) return t(`kind.${path.slice("documents.".length)}`);
  const key = `f.${path}`;
  const text = t(key);
  return text === key ? path : text;
}

function targetOf(pointer) {
  const path = pathOf(pointer);
  if (path.startsWith("documents.")) return `upload-${path.slice("documents.".length)}`;
  if (path === "exemption.code") return "code-search";
  return controlId(path);
}

async function stepBody(state, step, cleanups) {
  if (step === "documents") {
    if (state.model.exemption?.code) await state.codeDetail(state.model.exemption.code).catch(() => null);
    const panel = documentsPanel(state);
    cleanups.push(panel.cleanup);
    return h("div", {}, h("p", {}, t("docs.intro")), panel);
  }
  if (step === "review") return reviewBody(state, cleanups);
  const def = STEPS.find((s) => s.id === step);
  const body = h("div", { class: "step-body" });
  for (const section of def.sections) {
    const fields = [];
    for (const field of section.fields) {
      if (field.rep && state.model.representative == null) continue;
      fields.push(field.type === "code" ? await codePicker(state, field, cleanups) : renderField(state, field));
    }
    add(body, h("div", { class: "form-section" }, section.title ? h("h3", {}, t(section.title)) : null, fields));
  }
  return body;
}

function stepButtons(state, step, index) {
  const prev = index > 0 ? STEP_IDS[index - 1] : null;
  const next = index < STEP_IDS.length - 1 ? STEP_IDS[index + 1] : null;
  return h(
    "div",
    { class: "button-row" },
    next
      ? h(
          "button",
          {
            type: "button",
            class: "button",
            id: "next-step",
            onclick: async (event) => {
              event.target.disabled = true;
              await state.scheduleSave.flush();
              await state.validate();
              state.checkedSteps.add(step);
              event.target.disabled = false;
              const blocking = state.issuesOf(step).filter((i) => i.severity === "error" && !i.pointer.startsWith("/documents/"));
              if (blocking.length && step !== "documents") {
                state.emit("messages");
                document.querySelector("#step-issues .error-summary")?.focus();
                return;
              }
              navigate(`#/requests/${state.id}/edit/${next}`);
            },
          },
          t("form.next"),
        )
      : null,
    prev
      ? h(
          "a",
          { href: `#/requests/${state.id}/edit/${prev}`, class: "button button-secondary", onclick: () => state.checkedSteps.add(step) },
          t("form.prev"),
        )
      : null,
  );
}

// ---- exemption-code picker ---------------------------------------------------------------

const KIND_OF_TYPE = { lmia_exemption: "lmia_exempt_work_permit", work_permit_exemption: "work_permit_exemption" };

function fold(text) {
  return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

async function codePicker(state, def, cleanups) {
  const codes = await state.loadCodes();
  const id = controlId(def.path);
  const search = h("input", {
    type: "search",
    id: "code-search",
    autocomplete: "off",
    "aria-describedby": `${id}-hint ${id}-msg code-count`,
    "aria-controls": "code-list",
    disabled: !state.editable,
  });
  const count = h("p", { id: "code-count", class: "hint", role: "status" });
  const list = h("div", { class: "code-list", id: "code-list" });
  const detail = h("div", { class: "code-detail", id: "code-detail", "aria-live": "polite" });

  const renderList = () => {
    const query = fold(search.value.trim());
    const kind = KIND_OF_TYPE[state.model.exemption?.type];
    const chosen = state.model.exemption?.code;
    const matches = codes.filter(
      (c) =>
        (!kind || c.kind === kind || c.code === chosen) &&
        (!query || fold(c.code).startsWith(query) || fold(c.title).includes(query)),
    );
    count.textContent = matches.length ? t("code.results", { n: matches.length }) : t("code.none");
    fill(list, 
      h(
        "fieldset",
        { class: "code-options" },
        h("legend", { class: "visually-hidden" }, t("code.results", { n: matches.length })),
        matches.map((c) => {
          const optionId = `code-opt-${c.code.replace(/[^A-Za-z0-9]/g, "_")}`;
          const flags = [];
          if (c.status !== "current") flags.push(t(`code.status.${c.status}`));
          if (c.imwu_scope && c.imwu_scope !== "in_scope") flags.push(t("code.out_of_scope"));
          if (!c.confirmed) flags.push(t("code.unconfirmed"));
          return h(
            "div",
            { class: "choice code-choice" },
            h("input", {
              type: "radio",
              name: "exemption-code",
              id: optionId,
              value: c.code,
              checked: c.code === chosen,
              disabled: !state.editable,
              onchange: () => {
                state.change("exemption.code", c.code, { now: true });
                renderDetail();
              },
            }),
            h(
              "label",
              { for: optionId },
              h("strong", { class: "code" }, c.code),
              " ",
              h("span", { lang: "en" }, c.title),
              flags.length ? h("span", { class: "badge badge-warning" }, flags.join(" · ")) : null,
            ),
          );
        }),
      ),
    );
  };

  const renderDetail = async () => {
    const code = state.model.exemption?.code;
    clear(detail);
    if (!code) return;
    const info = await state.codeDetail(code).catch(() => null);
    if (!info || code !== state.model.exemption?.code) return;
    const record = info.record;
    const flags = [];
    if (record.status !== "current") flags.push(notice("warning", t(`code.status.${record.status}`)));
    if (record.imwu_scope && record.imwu_scope !== "in_scope") flags.push(notice("warning", t("code.out_of_scope")));
    if (!record.confirmed) flags.push(notice("warning", t("code.unconfirmed")));
    add(detail, 
      h("h4", {}, t("code.chosen", { code: record.code })),
      h("p", { lang: "en" }, record.title),
      h("p", {}, `${t("code.regulation")}${colon()}`, record.regulation),
      flags,
      h("h4", {}, t("code.needs", { code: record.code })),
      h(
        "ul",
        { class: "needs" },
        info.checklist.map((item) =>
          h(
            "li",
            {},
            h("strong", {}, t(`kind.${item.kind}`)),
            " — ",
            item.required ? t("code.required") : t("code.if_applicable"),
            h("br"),
            h("span", { class: "hint", lang: "en" }, item.label),
          ),
        ),
      ),
    );
  };

  search.addEventListener("input", renderList);
  renderList();
  renderDetail();
  cleanups.push(
    state.subscribe((what, detail) => {
      if (what === "dirty" && detail === "exemption.type") renderList();
    }),
  );
  return h(
    "div",
    { class: "field code-picker", dataset: { pointer: "/exemption/code" } },
    h("label", { for: "code-search" }, t("f.exemption.code")),
    h("p", { class: "hint", id: `${id}-hint` }, t("h.exemption.code")),
    h("p", { class: "field-msg", id: `${id}-msg`, hidden: true }),
    search,
    count,
    list,
    detail,
  );
}

// ---- review and submit --------------------------------------------------------------------

function reviewBody(state, cleanups) {
  const body = h("div", { class: "review" });
  const issuesHolder = h("div", { id: "review-issues" });
  const renderIssues = () => {
    clear(issuesHolder);
    const issues = state.issuesOf(null, { all: true });
    const blocking = issues.filter((i) => i.severity === "error");
    const notes = [
      ...issues.filter((i) => i.severity !== "error"),
      ...state.generalFindings().map((f) => ({ pointer: null, text: f.message[lang()] || f.message.en, severity: f.outcome })),
    ];
    if (blocking.length) add(issuesHolder, summaryOf(blocking, t("review.all_issues")));
    else add(issuesHolder, notice("success", t("review.ready")));
    if (notes.length) {
      add(issuesHolder, 
        notice(
          "warning",
          h(
            "ul",
            {},
            notes.map((n) =>
              h("li", {}, n.pointer ? h("a", { href: "#", onclick: (e) => { e.preventDefault(); goTo(state, n.pointer); } }, labelOf(n.pointer)) : null, n.pointer ? colon() : null, n.text),
            ),
          ),
        ),
      );
    }
  };
  renderIssues();
  cleanups.push(state.subscribe((what) => what === "findings" && renderIssues()));
  add(body, issuesHolder);

  for (const step of STEPS) {
    if (step.id === "review") continue;
    const rows = [];
    if (step.id === "documents") {
      for (const doc of state.docs.items) rows.push([t(`kind.${doc.kind}`), `${doc.display_name} (${formatBytes(doc.size_bytes)})`]);
      if (!rows.length) rows.push([t("docs.attached"), t("docs.none")]);
    } else {
      for (const section of step.sections) {
        for (const def of section.fields) {
          if (def.type === "presence") {
            rows.push([t("f.representative.present"), state.model.representative ? t("yes") : t("no")]);
            continue;
          }
          if (def.rep && state.model.representative == null) continue;
          const value = def.type === "code" ? state.model.exemption?.code : displayValue(def, state.value(def.path), lang());
          rows.push([t(`f.${def.path}`), value ?? h("span", { class: "muted" }, t("not_given"))]);
        }
      }
    }
    add(body, 
      h(
        "div",
        { class: "review-section" },
        h(
          "div",
          { class: "review-head" },
          h("h3", {}, t(`step.${step.id}`)),
          h(
            "a",
            { href: `#/requests/${state.id}/edit/${step.id}` },
            t("form.change"),
            h("span", { class: "visually-hidden" }, ` — ${t(`step.${step.id}`)}`),
          ),
        ),
        h("dl", { class: "summary-list" }, rows.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
      ),
    );
  }
  add(body, declarationForm(state));
  return body;
}

function goTo(state, pointer) {
  const step = stepOfPointer(pointer);
  navigate(`#/requests/${state.id}/edit/${step}`);
  window.setTimeout(() => focusField(targetOf(pointer)), 150);
}

function declarationForm(state) {
  const nameId = "declarant-name";
  const acceptId = "declaration-accepted";
  const errors = h("div", { id: "declaration-errors" });
  const name = h("input", { id: nameId, type: "text", autocomplete: "name", "aria-describedby": `${nameId}-msg`, value: state.declarant || "" });
  const accept = h("input", { id: acceptId, type: "checkbox", "aria-describedby": `${acceptId}-msg`, checked: Boolean(state.accepted) });
  name.addEventListener("input", () => (state.declarant = name.value));
  accept.addEventListener("change", () => (state.accepted = accept.checked));
  const button = h("button", { type: "submit", class: "button", id: "submit-request" }, t("review.submit"));
  return h(
    "form",
    {
      class: "declaration",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        const problems = [];
        setFieldError(nameId, "");
        setFieldError(acceptId, "");
        if (!name.value.trim()) problems.push([nameId, t("review.declarant.required")]);
        if (!accept.checked) problems.push([acceptId, t("review.accept.required")]);
        for (const [id, text] of problems) setFieldError(id, text);
        if (problems.length) {
          add(errors, errorSummary(problems.map(([id, text]) => ({ text, target: id })), { focus: true }));
          return;
        }
        button.disabled = true;
        try {
          await state.scheduleSave.flush();
          const { data } = await post(
            `requests/${state.id}/submit`,
            { declarant_name: name.value.trim(), declaration_accepted: true },
            { headers: { "If-Match": `"${state.version}"` } },
          );
          state.accept(data);
          setFlash(t("review.submitted", { ref: data.reference }));
          announce(t("review.submitted", { ref: data.reference }));
          navigate(`#/requests/${state.id}`);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          if (error.code === "request_not_submittable" && error.problem.validation) {
            state.findings = error.problem.validation.findings;
            state.checklist = error.problem.validation.checklist;
            state.checkedSteps.add("review");
            state.emit("findings");
          }
          if (error.status === 412) await state.reload();
          add(errors, notice("error", problemNode(error)));
          errors.querySelector(".notice").setAttribute("tabindex", "-1");
          errors.querySelector(".notice").focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h3", {}, t("review.declaration")),
    errors,
    h(
      "div",
      { class: "field" },
      h("label", { for: nameId }, t("review.declarant")),
      h("p", { class: "field-msg", id: `${nameId}-msg`, hidden: true }),
      name,
    ),
    h(
      "div",
      { class: "field field-check" },
      h("p", { class: "field-msg", id: `${acceptId}-msg`, hidden: true }),
      h("div", { class: "choice" }, accept, h("label", { for: acceptId }, t("review.accept"))),
    ),
    h("div", { class: "button-row" }, button),
  );
}
