// Documents of a request: the 4 MB budget meter, the checklist that ticks itself, drag-and-drop
// uploads with a progress bar (XMLHttpRequest upload progress), and removal.

import { ApiError, del, problemNode, upload } from "./api.js";
import { add, announce, clear, h } from "./dom.js";
import { formatBytes, t } from "./i18n.js";
import { DOCUMENT_KINDS } from "./schema.js";

const ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png";

export function budgetMeter(docs) {
  const used = docs.documents_bytes_used;
  const total = used + docs.documents_bytes_remaining;
  const text = t("docs.budget.text", {
    used: formatBytes(used),
    total: formatBytes(total),
    left: formatBytes(docs.documents_bytes_remaining),
  });
  return h(
    "div",
    { class: "budget", id: "budget" },
    h("p", { class: "budget-label", id: "budget-label" }, t("docs.budget")),
    h("meter", {
      id: "budget-meter",
      min: 0,
      max: total || 1,
      low: total * 0.75,
      high: total * 0.9,
      optimum: 0,
      value: used,
      "aria-labelledby": "budget-label",
      "aria-describedby": "budget-text",
    }),
    h("p", { class: "budget-text", id: "budget-text" }, text),
  );
}

/**
 * The documents panel for `state` (an IntakeState). `kinds` limits the rows to those kinds
 * (an information request); otherwise the validate checklist decides them. `removable(doc)` says
 * which attached documents may be removed (after submit, only those added in answer).
 */
export function documentsPanel(state, { kinds = null, headingLevel = "h3", removable = () => true } = {}) {
  const root = h("div", { class: "documents" });
  const status = h("div", { class: "upload-status", id: "upload-status", role: "status", "aria-live": "polite" });
  const messages = new Map(); // kind -> error node (kept across re-renders)

  const render = () => {
    clear(root);
    const present = new Set(state.docs.items.map((d) => d.kind));
    const rows = kinds
      ? kinds.map((kind) => ({ kind, required: true, present: present.has(kind) }))
      : state.checklist.map((item) => ({ ...item, present: item.present || present.has(item.kind) }));
    add(root, 
      budgetMeter(state.docs),
      status,
      h(headingLevel, { class: "h3" }, t("docs.checklist")),
      rows.length ? null : h("p", {}, t("docs.no_code")),
      h(
        "ul",
        { class: "checklist" },
        rows.map((row) => uploadRow(state, row, messages, status, render)),
      ),
      kinds ? null : otherRow(state, messages, status, render, headingLevel),
      h(headingLevel, { class: "h3" }, t("docs.attached")),
      attachedTable(state, render, status, removable),
    );
  };
  render();
  const unsubscribe = state.subscribe((what) => {
    if (what === "documents" || what === "findings") render();
  });
  root.cleanup = unsubscribe;
  return root;
}

function rowState(row) {
  if (row.present) return ["present", "✓", t("docs.present")];
  if (row.required) return ["missing", "✗", t("docs.missing")];
  return ["optional", "○", t("docs.optional")];
}

function uploadRow(state, row, messages, status, rerender) {
  const [cls, mark, word] = rowState(row);
  const inputId = `upload-${row.kind}`;
  const messageId = `upload-${row.kind}-msg`;
  const detailLabel = state.codeDetails.get(state.model.exemption?.code)?.checklist?.find((c) => c.kind === row.kind)?.label;
  const item = h(
    "li",
    { class: `checklist-item is-${cls}`, dataset: { kind: row.kind } },
    h(
      "div",
      { class: "checklist-head" },
      h("span", { class: "tick", "aria-hidden": "true" }, mark),
      h("span", { class: "checklist-kind" }, t(`kind.${row.kind}`)),
      h("span", { class: `badge badge-${cls}` }, word),
    ),
    detailLabel ? h("p", { class: "hint", lang: "en" }, detailLabel) : null,
    dropZone(state, { kind: () => row.kind, inputId, messageId, label: t("docs.choose_for", { kind: t(`kind.${row.kind}`) }), messages, status, rerender }),
  );
  return item;
}

function otherRow(state, messages, status, rerender, headingLevel) {
  const selectId = "upload-other-kind";
  const select = h(
    "select",
    { id: selectId },
    DOCUMENT_KINDS.map((kind) => h("option", { value: kind, selected: kind === "other_evidence" }, t(`kind.${kind}`))),
  );
  return h(
    "div",
    { class: "checklist-item other-upload" },
    h(headingLevel === "h3" ? "h4" : "h3", { class: "h4" }, t("docs.other")),
    h("div", { class: "field" }, h("label", { for: selectId }, t("docs.other.kind")), select),
    dropZone(state, {
      kind: () => select.value,
      inputId: "upload-other",
      messageId: "upload-other-msg",
      label: t("docs.choose"),
      messages,
      status,
      rerender,
    }),
  );
}

function dropZone(state, { kind, inputId, messageId, label, messages, status, rerender }) {
  const message = h("p", { class: "field-msg field-msg-error", id: messageId, role: "alert" });
  const previous = messages.get(messageId);
  if (previous) add(message, ...previous);
  else message.hidden = true;
  const input = h("input", {
    type: "file",
    id: inputId,
    class: "file-input",
    accept: ACCEPT,
    "aria-describedby": messageId,
    disabled: !state.editable,
    onchange: (event) => {
      const file = event.target.files[0];
      if (file) send(file);
    },
  });
  const zone = h(
    "div",
    {
      class: "dropzone",
      ondragover: (event) => {
        event.preventDefault();
        zone.classList.add("is-over");
      },
      ondragleave: () => zone.classList.remove("is-over"),
      ondrop: (event) => {
        event.preventDefault();
        zone.classList.remove("is-over");
        const file = event.dataTransfer?.files?.[0];
        if (file && state.editable) send(file);
      },
    },
    h("span", { "aria-hidden": "true" }, `${t("docs.drop")} `),
    input,
    h("label", { for: inputId, class: "button button-secondary file-label" }, label),
  );

  const showError = (...content) => {
    messages.set(messageId, content);
    clear(message);
    add(message, ...content);
    message.hidden = false;
  };

  async function send(file) {
    messages.delete(messageId);
    message.hidden = true;
    clear(message);
    const left = state.docs.documents_bytes_remaining;
    if (file.size > left) {
      // The API would refuse it (413 document_too_large) and store nothing; say so before sending.
      const text = t("docs.too_big", { name: file.name, size: formatBytes(file.size), left: formatBytes(left) });
      showError(text);
      announce(text);
      message.scrollIntoView({ block: "center" });
      input.value = "";
      return;
    }
    const progress = h("progress", { max: 100, value: 0, id: "upload-progress", "aria-label": t("docs.progress") });
    const percent = h("span", { class: "upload-percent" }, "0 %");
    clear(status);
    add(status, h("p", {}, t("docs.uploading", { name: file.name })), h("div", { class: "progress-row" }, progress, percent));
    try {
      await upload(`requests/${state.id}/documents`, { kind: kind() }, file, (loaded, total) => {
        const value = Math.round((loaded / total) * 100);
        progress.value = value;
        percent.textContent = `${value} %`;
      });
      progress.value = 100;
      percent.textContent = "100 %";
      clear(status);
      add(status, h("p", { class: "upload-done" }, t("docs.uploaded", { name: file.name })));
      await Promise.all([state.loadDocuments(), state.validate()]);
    } catch (error) {
      clear(status);
      if (!(error instanceof ApiError)) throw error;
      showError(problemNode(error));
      rerender();
      document.getElementById(messageId)?.scrollIntoView({ block: "center" });
    } finally {
      input.value = "";
    }
  }

  return h("div", {}, message, zone);
}

function attachedTable(state, rerender, status, removable) {
  if (!state.docs.items.length) return h("p", {}, t("docs.none"));
  return h(
    "table",
    { class: "table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t("col.name")),
        h("th", { scope: "col" }, t("col.kind")),
        h("th", { scope: "col", class: "num" }, t("col.size")),
        state.editable ? h("th", { scope: "col" }, t("col.action")) : null,
      ),
    ),
    h(
      "tbody",
      {},
      state.docs.items.map((doc) =>
        h(
          "tr",
          {},
          h("td", { class: "break" }, doc.display_name),
          h("td", {}, t(`kind.${doc.kind}`)),
          h("td", { class: "num" }, formatBytes(doc.size_bytes)),
          state.editable
            ? h(
                "td",
                {},
                removable(doc) && h(
                  "button",
                  {
                    type: "button",
                    class: "button-link",
                    onclick: async () => {
                      try {
                        await del(`requests/${state.id}/documents/${doc.id}`);
                        clear(status);
                        add(status, h("p", {}, t("docs.deleted", { name: doc.display_name })));
                        await Promise.all([state.loadDocuments(), state.validate()]);
                      } catch (error) {
                        if (!(error instanceof ApiError)) throw error;
                        clear(status);
                        add(status, h("p", { class: "error-text" }, problemNode(error)));
                      }
                    },
                  },
                  t("docs.delete", { name: doc.display_name }),
                ),
              )
            : null,
        ),
      ),
    ),
  );
}
