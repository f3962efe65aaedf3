// The state of one request being filled in: the form model, autosave by merge PATCH with
// If-Match, and the live checks (POST /validate) whose findings are shown next to their fields.

import { api, ApiError, get, patch, post } from "./api.js";
import { debounce } from "./dom.js";
import { lang, t } from "./i18n.js";
import { contentOf, FIELD_BY_PATH, getPath, pathOf, pointerOf, setPath, stepOfPointer } from "./schema.js";

const SAVE_DELAY_MS = 600;
// A draft is edited freely; while an information request is open only what it names is shown
// as editable (the request view), and the API refuses anything else.
const EDITABLE = new Set(["draft", "info_requested"]);

/** The API's English field messages we can say in French; others get a generic sentence. */
const KNOWN_MESSAGES = [
  [/end_date is before start_date/, "err.end_before_start"],
  [/ISO 3166/, "err.country"],
  [/ISO 4217/, "err.currency"],
  [/before 1900/, "err.dob_1900"],
  [/in the future/, "err.dob_future"],
  [/email/i, "err.email"],
  [/valid date|date_from_datetime|date_parsing|Input should be a valid date/i, "err.date"],
];

export function fieldErrorText(pointer, message) {
  for (const [pattern, key] of KNOWN_MESSAGES) if (pattern.test(message)) return t(key);
  const def = FIELD_BY_PATH.get(pathOf(pointer));
  if (def?.hint) return t("err.invalid_hint", { hint: t(def.hint) });
  return t("err.invalid");
}

const SEVERITY = { block: 3, review: 2, warn: 1 };

/** A check across a section's fields is reported on the section ("/worker": "date_of_birth is
 * in the future"); put it on the field its message names when there is one. */
function retarget({ pointer, message }) {
  const path = pathOf(pointer);
  if (FIELD_BY_PATH.has(path)) return { pointer, message };
  for (const word of message.match(/[a-z_]+/g) || []) {
    if (FIELD_BY_PATH.has(`${path}.${word}`)) return { pointer: `${pointer}/${word}`, message };
  }
  return { pointer, message };
}

export class IntakeState {
  constructor(request) {
    this.id = request.id;
    this.listeners = new Set();
    this.touched = new Set();
    this.checkedSteps = new Set();
    this.dirty = new Set();
    this.rejected = new Map(); // pointer -> API message: typed values the API refused (not stored)
    this.crossErrors = new Map(); // pointer -> API message: errors on fields not sent
    this.findings = [];
    this.checklist = [];
    this.submittable = false;
    this.saveState = "idle";
    this.saveError = null;
    this.docs = { items: [], documents_bytes_used: 0, documents_bytes_remaining: 0 };
    this.codes = null;
    this.codeDetails = new Map();
    this.inflight = null;
    this.again = false;
    this.accept(request);
    this.model = contentOf(request);
    this.scheduleSave = debounce(() => this.save(), SAVE_DELAY_MS);
    this.scheduleValidate = debounce(() => this.validate(), 250);
  }

  accept(request) {
    this.request = request;
    this.version = request.version;
  }

  get editable() {
    return EDITABLE.has(this.request.status);
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(what, detail) {
    for (const fn of this.listeners) fn(what, detail);
  }

  value(path) {
    if (path === "representative.present") return this.model.representative != null;
    return getPath(this.model, path);
  }

  /** A control changed: keep the value, mark it, save soon (or now for choices). */
  change(path, value, { now = false } = {}) {
    if (path === "representative.present") {
      this.model.representative = value ? this.model.representative || {} : null;
      this.dirty.add("/representative");
      this.touched.add("/representative");
      this.emit("representative");
    } else {
      if (path.startsWith("representative.") && this.model.representative == null) {
        this.model.representative = {};
      }
      setPath(this.model, path, value);
      const pointer = pointerOf(path);
      this.dirty.add(pointer);
      this.rejected.delete(pointer);
      this.touched.add(pointer);
    }
    this.saveState = "pending";
    this.emit("dirty", path);
    if (now) this.scheduleSave.flush();
    else this.scheduleSave();
  }

  touch(path) {
    const pointer = pointerOf(path);
    if (!this.touched.has(pointer)) {
      this.touched.add(pointer);
      this.emit("messages");
    }
  }

  /** The merge patch for `pointers`: their current values, nested like the body. */
  patchFor(pointers) {
    const body = {};
    for (const pointer of pointers) {
      if (pointer === "/representative") {
        body.representative = this.model.representative == null ? null : { ...this.model.representative };
        continue;
      }
      const path = pathOf(pointer);
      if (path.startsWith("representative.") && body.representative === null) continue;
      setPath(body, path, structuredClone(getPath(this.model, path) ?? null));
    }
    return body;
  }

  /** Send what changed (one PATCH at a time), then run the live checks. */
  async save() {
    if (!this.editable) return;
    if (this.inflight) {
      this.again = true;
      return this.inflight;
    }
    this.inflight = this.saveOnce().finally(() => {
      this.inflight = null;
      if (this.again) {
        this.again = false;
        this.save();
      }
    });
    return this.inflight;
  }

  async saveOnce() {
    let batch = [...this.dirty];
    if (!batch.length) {
      this.scheduleValidate();
      return;
    }
    this.saveState = "saving";
    this.emit("save");
    for (let attempt = 0; attempt < 3 && batch.length; attempt += 1) {
      try {
        const { data } = await patch(`requests/${this.id}`, this.patchFor(batch), {
          headers: { "If-Match": `"${this.version}"` },
        });
        this.accept(data);
        for (const pointer of batch) this.dirty.delete(pointer);
        this.crossErrors.clear();
        this.saveState = this.dirty.size ? "pending" : "saved";
        this.saveError = null;
        this.emit("save");
        this.scheduleValidate.flush();
        return;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 412) {
          await this.reload();
          continue;
        }
        if (error.status === 422 && error.code === "validation_error") {
          const refused = this.absorbFieldErrors(batch, error.problem.errors || []);
          batch = batch.filter((p) => !refused.has(p));
          if (!refused.size) break; // errors on fields we did not send: wait for the next change
          continue;
        }
        this.saveState = "failed";
        this.saveError = error;
        this.emit("save");
        return;
      }
    }
    this.saveState = this.rejected.size || this.crossErrors.size ? "failed" : "saved";
    this.emit("save");
    this.emit("messages");
  }

  /** Record the API's field errors; return the sent pointers it refused. */
  absorbFieldErrors(batch, errors) {
    const refused = new Set();
    for (const error of errors) {
      const { pointer, message } = retarget(error);
      const sent = batch.filter((p) => p === pointer || p.startsWith(`${pointer}/`) || pointer.startsWith(`${p}/`));
      if (sent.length) {
        for (const p of sent) {
          refused.add(p);
          this.dirty.delete(p);
        }
        this.rejected.set(pointer, message);
      } else {
        this.crossErrors.set(pointer, message);
      }
    }
    return refused;
  }

  async reload() {
    const { data } = await get(`requests/${this.id}`);
    this.accept(data);
    const server = contentOf(data);
    for (const pointer of this.dirty) {
      if (pointer === "/representative") server.representative = this.model.representative;
      else setPath(server, pathOf(pointer), getPath(this.model, pathOf(pointer)));
    }
    this.model = server;
    this.emit("reloaded");
  }

  async validate() {
    try {
      const { data } = await post(`requests/${this.id}/validate`);
      this.findings = data.findings;
      this.checklist = data.checklist;
      this.submittable = data.submittable;
      this.emit("findings");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
  }

  async loadDocuments() {
    const { data } = await get(`requests/${this.id}/documents`);
    this.docs = data;
    this.emit("documents");
  }

  async loadCodes() {
    if (!this.codes) {
      const { data } = await get("reference/exemption-codes");
      this.codes = data.items;
    }
    return this.codes;
  }

  async codeDetail(code) {
    if (!code) return null;
    if (!this.codeDetails.has(code)) {
      try {
        const { data } = await get(`reference/exemption-codes/${encodeURIComponent(code)}`);
        this.codeDetails.set(code, data);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) this.codeDetails.set(code, null);
        else throw error;
      }
    }
    return this.codeDetails.get(code);
  }

  /** Whether the findings of `pointer` are to be shown yet (touched, or its step was left). */
  visible(pointer) {
    return this.touched.has(pointer) || this.checkedSteps.has(stepOfPointer(pointer)) || this.checkedSteps.has("review");
  }

  /** The message to show next to `pointer`: { text, severity } or null. */
  messageFor(pointer, { all = false } = {}) {
    if (this.rejected.has(pointer)) return { text: fieldErrorText(pointer, this.rejected.get(pointer)), severity: "error" };
    if (this.crossErrors.has(pointer)) return { text: fieldErrorText(pointer, this.crossErrors.get(pointer)), severity: "error" };
    if (!all && !this.visible(pointer)) return null;
    let best = null;
    for (const finding of this.findings) {
      if (!finding.fields.includes(pointer)) continue;
      if (!best || SEVERITY[finding.outcome] > SEVERITY[best.outcome]) best = finding;
    }
    if (!best) return null;
    const text = best.rule === "required_field_missing" ? t("err.required_submit") : best.message[lang()] || best.message.en;
    return { text, severity: best.outcome === "block" ? "error" : "warning" };
  }

  /** Every problem of a step as { pointer, text, severity } (field errors, then findings). */
  issuesOf(stepId, { all = false } = {}) {
    const seen = new Map();
    const add = (pointer) => {
      if (seen.has(pointer) || (stepId && stepOfPointer(pointer) !== stepId)) return;
      const message = this.messageFor(pointer, { all });
      if (message) seen.set(pointer, { pointer, ...message });
    };
    for (const pointer of [...this.rejected.keys(), ...this.crossErrors.keys()]) add(pointer);
    for (const finding of this.findings) for (const pointer of finding.fields) add(pointer);
    return [...seen.values()];
  }

  /** Findings that name no field the form shows (kept for the review step). */
  generalFindings() {
    return this.findings.filter(
      (finding) => !finding.fields.length || finding.fields.every((p) => stepOfPointer(p) === "review"),
    );
  }

  blockingCount(stepId) {
    return this.issuesOf(stepId, { all: true }).filter((issue) => issue.severity === "error").length;
  }
}

const states = new Map();

/** The state of request `id`, kept while the tab lives so a language switch loses nothing. */
export async function intakeState(id, { fresh = false } = {}) {
  if (!states.has(id) || fresh) {
    const { data } = await api(`requests/${id}`);
    const state = new IntakeState(data);
    states.set(id, state);
    await Promise.all([state.validate(), state.loadDocuments()]);
  }
  return states.get(id);
}

export function forgetIntake(id) {
  states.delete(id);
}
