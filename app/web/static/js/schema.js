// The IMM 5686 request as steps, sections and fields, mirroring the API's request body
// (app/common/form.py). A field's `path` is its place in the body; its JSON pointer is "/" + path
// with dots as slashes, which is how the API names fields in findings and errors.

export const PROVINCES = ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"];
export const DOCUMENT_KINDS = [
  "passport_bio_page", "cv", "job_offer", "employer_letter", "diploma", "certification",
  "pay_stub", "business_licence", "imm5686_form", "language_test", "medical_exam_results",
  "other_evidence",
];
export const STREAMS = [
  "trade_agreement", "international_agreement", "significant_benefit", "reciprocal", "work_permit_exempt", "other",
];

const f = (path, type = "text", extra = {}) => ({ path, type, ...extra });

export const STEPS = [
  {
    id: "request",
    sections: [
      { fields: [f("language", "radio", { options: ["en", "fr"], noNull: true })] },
      {
        fields: [
          f("exemption.type", "radio", { options: ["lmia_exemption", "work_permit_exemption", "lmia_required"] }),
          f("exemption.code", "code"),
        ],
      },
    ],
  },
  {
    id: "employer",
    sections: [
      {
        fields: [
          f("employer.name", "text", { autocomplete: "organization" }),
          f("employer.address", "textarea", { rows: 3 }),
          f("employer.phone", "tel", { hint: "h.employer.phone", autocomplete: "tel", width: "m" }),
          f("employer.contact_name", "text", { autocomplete: "name" }),
          f("employer.email", "email", { autocomplete: "email" }),
          f("employer.website", "url", { optional: true, autocomplete: "url" }),
          f("employer.size_in_canada", "text", { hint: "h.employer.size", width: "s" }),
          f("employer.size_abroad", "text", { hint: "h.employer.size", width: "s", optional: true }),
          f("employer.principal_activity", "textarea", { rows: 3 }),
          f("employer.business_number", "text", { hint: "h.employer.business_number", width: "s", optional: true, inputmode: "numeric" }),
          f("employer.offer_number", "text", { hint: "h.employer.offer_number", width: "s", optional: true }),
          f("employer.copy_notifications", "check"),
        ],
      },
    ],
  },
  {
    id: "worker",
    sections: [
      {
        fields: [
          f("worker.family_name", "text", { autocomplete: "off" }),
          f("worker.given_names", "text", { autocomplete: "off" }),
          f("worker.date_of_birth", "date"),
          f("worker.gender", "radio", { options: ["F", "M", "X"], optional: true }),
          f("worker.citizenship", "country"),
          f("worker.country_of_birth", "country"),
          f("worker.country_of_residence", "country"),
          f("worker.other_citizenships", "countries", { hint: "h.worker.other_citizenships", optional: true }),
          f("worker.travel_passport_country", "country", { optional: true }),
          f("worker.permanent_resident_of", "countries", { hint: "h.worker.other_citizenships", optional: true }),
          f("worker.countries_lived_last_year", "countries", { hint: "h.worker.countries_lived_last_year", optional: true }),
        ],
      },
      {
        title: "sec.passport",
        fields: [
          f("worker.passport.number", "text", { hint: "h.worker.passport.number", width: "m", autocomplete: "off" }),
          f("worker.passport.issuing_country", "country"),
          f("worker.passport.expiry_date", "date"),
        ],
      },
      {
        title: "sec.history",
        fields: [
          f("worker.currently_in_canada", "bool"),
          f("worker.in_canada_explanation", "textarea", { rows: 2, optional: true }),
          f("worker.current_location_country", "country"),
          f("worker.uci", "text", { hint: "h.worker.uci", width: "m", optional: true }),
          f("worker.holds_or_applied_for_work_permit", "bool"),
          f("worker.charged_or_convicted", "bool"),
          f("worker.us_permanent_resident", "bool", { optional: true }),
          f("worker.previously_refused", "bool", { optional: true }),
          f("worker.previously_overstayed", "bool", { optional: true }),
          f("worker.previous_canadian_permit", "bool", { optional: true }),
          f("worker.immigration_history_explanation", "textarea", { rows: 2, optional: true }),
          f("worker.accompanying_family", "bool", { optional: true }),
          f("worker.french_nclc_level", "number", { hint: "h.worker.french_nclc_level", width: "xs", inputmode: "numeric", optional: true }),
        ],
      },
    ],
  },
  {
    id: "work",
    sections: [
      {
        fields: [
          f("work.job_title", "text"),
          f("work.noc_code", "text", { hint: "h.work.noc_code", width: "s", inputmode: "numeric" }),
        ],
      },
      {
        title: "sec.location",
        fields: [
          f("work.location.address", "textarea", { rows: 2 }),
          f("work.location.city", "text", { width: "m" }),
          f("work.location.province", "select", { options: PROVINCES }),
        ],
      },
      {
        title: "sec.conditions",
        fields: [
          f("work.start_date", "date"),
          f("work.end_date", "date"),
          f("work.wage.amount", "text", { hint: "h.work.wage.amount", width: "m", inputmode: "decimal", optional: true }),
          f("work.wage.currency", "text", { hint: "h.work.wage.currency", width: "xs", optional: true }),
          f("work.wage.per", "select", { options: ["hour", "week", "month", "year"], optional: true }),
          f("work.hours_per_week", "number", { hint: "h.work.hours_per_week", width: "xs", inputmode: "decimal", optional: true }),
          f("work.intended_port_of_entry", "text", { optional: true }),
          f("work.intended_entry_date", "date", { optional: true }),
          f("work.seasonal_agricultural", "bool", { optional: true }),
        ],
      },
      {
        title: "sec.qualifications",
        fields: [
          f("work.duties", "textarea", { rows: 4 }),
          f("work.minimum_education", "textarea", { rows: 2, optional: true }),
          f("work.skills_experience", "textarea", { rows: 2, optional: true }),
        ],
      },
      {
        title: "sec.certification",
        fields: [
          f("work.certification.provincial", "check"),
          f("work.certification.territorial", "check"),
          f("work.certification.federal", "check"),
          f("work.certification.body", "text", { optional: true }),
        ],
      },
    ],
  },
  {
    id: "representative",
    sections: [
      {
        fields: [
          f("representative.present", "presence"),
          f("representative.name", "text", { rep: true }),
          f("representative.type", "select", { rep: true, options: ["lawyer", "quebec_notary", "rcic", "unpaid"] }),
          f("representative.licence_number", "text", { rep: true, optional: true, width: "m" }),
          f("representative.regulator", "text", { rep: true, optional: true }),
          f("representative.firm", "text", { rep: true, optional: true }),
          f("representative.email", "email", { rep: true, optional: true }),
          f("representative.phone", "tel", { rep: true, optional: true, width: "m", hint: "h.employer.phone" }),
          f("representative.imm5476_on_file", "bool", { rep: true, optional: true }),
        ],
      },
    ],
  },
  { id: "documents", sections: [] },
  { id: "review", sections: [] },
];

export const FIELDS = STEPS.flatMap((step) =>
  step.sections.flatMap((section) => section.fields.map((field) => ({ ...field, step: step.id }))),
);
export const FIELD_BY_PATH = new Map(FIELDS.map((field) => [field.path, field]));

export const pointerOf = (path) => `/${path.replaceAll(".", "/")}`;
export const pathOf = (pointer) => pointer.replace(/^\//, "").replaceAll("/", ".");
export const controlId = (path) => `f-${path.replaceAll(".", "-")}`;

/** The step a JSON pointer belongs to ("/work/wage/amount" -> "work"). */
export function stepOfPointer(pointer) {
  const head = pointer.split("/")[1] || "";
  if (head === "language" || head === "exemption") return "request";
  if (head === "documents") return "documents";
  return STEPS.some((step) => step.id === head) ? head : "review";
}

export function getPath(obj, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), obj);
}

export function setPath(obj, path, value) {
  const keys = path.split(".");
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    if (node[key] == null || typeof node[key] !== "object") node[key] = {};
    node = node[key];
  }
  node[keys[keys.length - 1]] = value;
}

/** The form fields of a request as read from the API (drops identity, state and budget). */
export function contentOf(request) {
  const { language, exemption, employer, worker, work, representative } = request;
  return structuredClone({ language, exemption, employer, worker, work, representative });
}
