// Form controls for the IMM 5686 fields: each one a labelled control with its hint and a message
// slot (`<id>-msg`) where the field's finding or error is shown, tied by aria-describedby.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { countries } from "./countries.js";
import { controlId, pointerOf } from "./schema.js";

function labelText(def) {
  return [t(`f.${def.path}`), def.optional ? h("span", { class: "optional" }, ` ${t("form.optional")}`) : null];
}

function describedBy(id, def) {
  return [def.hint || def.type === "date" ? `${id}-hint` : null, `${id}-msg`].filter(Boolean).join(" ");
}

function hintAndMessage(id, def) {
  const hintKey = def.hint || (def.type === "date" ? "h.date" : null);
  return [
    hintKey ? h("p", { class: "hint", id: `${id}-hint` }, t(hintKey)) : null,
    h("p", { class: "field-msg", id: `${id}-msg`, hidden: true }),
  ];
}

/** Text-like value from a control: blank is null (the API's "not given"). */
function textValue(def, raw) {
  const value = raw.trim();
  if (value === "") return null;
  if (def.type === "number") {
    const number = Number(value.replace(",", "."));
    return Number.isFinite(number) ? number : value;
  }
  if (def.path === "work.wage.amount") return value.replace(",", ".");
  return value;
}

/**
 * Render one field for controller `ctl`, which provides value(path), change(path, value),
 * touch(path) and `editable`.
 */
export function renderField(ctl, def) {
  const id = controlId(def.path);
  const pointer = pointerOf(def.path);
  const value = ctl.value(def.path);
  const disabled = !ctl.editable;
  const common = {
    id,
    name: def.path,
    "aria-describedby": describedBy(id, def),
    disabled,
    onblur: () => ctl.touch(def.path),
  };
  const widthClass = def.width ? `width-${def.width}` : "";

  switch (def.type) {
    case "textarea":
      return h(
        "div",
        { class: "field", dataset: { pointer } },
        h("label", { for: id }, labelText(def)),
        hintAndMessage(id, def),
        h("textarea", {
          ...common,
          rows: def.rows || 3,
          value: value ?? "",
          oninput: (e) => ctl.change(def.path, textValue(def, e.target.value)),
        }),
      );
    case "select":
    case "country": {
      const options =
        def.type === "country"
          ? countries(document.documentElement.lang).map(([code, name]) => [code, name])
          : def.options.map((option) => [option, t(`f.${def.path}.${option}`)]);
      return h(
        "div",
        { class: "field", dataset: { pointer } },
        h("label", { for: id }, labelText(def)),
        hintAndMessage(id, def),
        h(
          "select",
          {
            ...common,
            class: widthClass,
            onchange: (e) => ctl.change(def.path, e.target.value || null, { now: true }),
          },
          h("option", { value: "" }, t("choose")),
          options.map(([code, name]) => h("option", { value: code, selected: value === code }, name)),
        ),
      );
    }
    case "countries": {
      const chosen = new Set(value || []);
      return h(
        "div",
        { class: "field", dataset: { pointer } },
        h("label", { for: id }, labelText(def)),
        hintAndMessage(id, def),
        h(
          "select",
          {
            ...common,
            multiple: true,
            size: 5,
            onchange: (e) =>
              ctl.change(def.path, [...e.target.selectedOptions].map((o) => o.value), { now: true }),
          },
          countries(document.documentElement.lang).map(([code, name]) =>
            h("option", { value: code, selected: chosen.has(code) }, name),
          ),
        ),
      );
    }
    case "radio":
    case "bool":
    case "presence": {
      const options =
        def.type === "radio"
          ? def.options.map((option) => [option, t(`f.${def.path}.${option}`)])
          : [
              [true, t("yes")],
              [false, t("no")],
            ];
      const legendId = `${id}-legend`;
      return h(
        "fieldset",
        {
          class: "field",
          dataset: { pointer },
          "aria-describedby": describedBy(id, def),
        },
        h("legend", { id: legendId }, labelText(def)),
        hintAndMessage(id, def),
        h(
          "div",
          { class: `choices ${options.length === 2 ? "choices-inline" : ""}` },
          options.map(([option, text], index) => {
            const optionId = index === 0 ? id : `${id}-${String(option)}`;
            return h(
              "div",
              { class: "choice" },
              h("input", {
                type: "radio",
                id: optionId,
                name: def.path,
                value: String(option),
                checked: value === option,
                disabled,
                onchange: () => ctl.change(def.path, option, { now: true }),
                onblur: () => ctl.touch(def.path),
              }),
              h("label", { for: optionId }, text),
            );
          }),
        ),
      );
    }
    case "check":
      return h(
        "div",
        { class: "field field-check", dataset: { pointer } },
        h("p", { class: "field-msg", id: `${id}-msg`, hidden: true }),
        h(
          "div",
          { class: "choice" },
          h("input", {
            type: "checkbox",
            id,
            name: def.path,
            checked: Boolean(value),
            disabled,
            "aria-describedby": `${id}-msg`,
            onchange: (e) => ctl.change(def.path, e.target.checked, { now: true }),
          }),
          h("label", { for: id }, t(`f.${def.path}`)),
        ),
      );
    default: {
      const type = { email: "email", tel: "tel", url: "url", date: "date" }[def.type] || "text";
      return h(
        "div",
        { class: "field", dataset: { pointer } },
        h("label", { for: id }, labelText(def)),
        hintAndMessage(id, def),
        h("input", {
          ...common,
          type,
          class: widthClass,
          value: value ?? "",
          autocomplete: def.autocomplete || (type === "date" ? "off" : null),
          inputmode: def.inputmode || null,
          spellcheck: type === "text" && def.path.includes("name") ? "false" : null,
          oninput: (e) => ctl.change(def.path, textValue(def, e.target.value)),
          onchange: (e) => ctl.change(def.path, textValue(def, e.target.value), { now: true }),
        }),
      );
    }
  }
}

/** A read-only value for summaries and the reviewer's form view. */
export function displayValue(def, value, lang) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) {
    return null;
  }
  switch (def.type) {
    case "bool":
    case "presence":
      return value ? t("yes") : t("no");
    case "check":
      return value ? t("yes") : t("no");
    case "radio":
    case "select":
      return t(`f.${def.path}.${value}`);
    case "country":
      return countries(lang).find(([code]) => code === value)?.[1] || value;
    case "countries":
      return value.map((code) => countries(lang).find(([c]) => c === code)?.[1] || code).join(", ");
    default:
      return String(value);
  }
}

/** The whole form as read-only description lists, one per step (employer view and reviewer). */
export function formSummary(content, lang, { steps, headingTag = "h3" }) {
  const valueOf = (path) =>
    path === "representative.present"
      ? content.representative != null
      : path.split(".").reduce((v, k) => (v == null ? undefined : v[k]), content);
  return steps
    .filter((step) => step.sections.length)
    .map((step) => {
      const rows = [];
      for (const section of step.sections) {
        for (const def of section.fields) {
          if (def.rep && content.representative == null) continue;
          const raw = valueOf(def.path);
          const shown = def.type === "code" ? raw : displayValue(def, raw, lang);
          rows.push(
            h(
              "div",
              {},
              h("dt", {}, t(def.type === "presence" ? "f.representative.present" : `f.${def.path}`)),
              h("dd", {}, shown ?? h("span", { class: "muted" }, t("not_given"))),
            ),
          );
        }
      }
      return h(
        "div",
        { class: "review-section" },
        h(headingTag, {}, t(`step.${step.id}`)),
        h("dl", { class: "summary-list" }, rows),
      );
    });
}
