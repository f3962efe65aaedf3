// The API client: /api/v1 with the user's bearer token, as any third-party front-end would call it.
// Every refusal becomes an ApiError carrying the RFC 9457 problem; `problemText` turns it into
// words for the user (the problem's detail or title, never a raw error).

import { lang, t, has } from "./i18n.js";

export const API = "/api/v1";
const TOKEN_KEY = "imwu.token";

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode without storage: the token lasts until the page is left */
  }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code || null;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

async function readProblem(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      /* fall through */
    }
  }
  return { status: response.status, title: response.statusText || `HTTP ${response.status}` };
}

/**
 * Call the API. Returns { status, data, etag, response }. `data` is parsed JSON, a Blob when
 * `blob` is set, or null for 204. Non-2xx answers throw ApiError.
 */
export async function api(path, { method = "GET", body, headers = {}, auth = true, blob = false } = {}) {
  const init = { method, headers: { Accept: "application/json, application/problem+json", ...headers } };
  if (auth) {
    const token = getToken();
    if (token) init.headers.Authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (blob) init.headers.Accept = "*/*";
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, init);
  } catch {
    throw new ApiError(0, { code: "network", title: t("err.network"), detail: t("err.network") });
  }
  if (!response.ok) {
    const problem = await readProblem(response);
    if (response.status === 401 && auth) onUnauthorized();
    throw new ApiError(response.status, problem);
  }
  const etag = response.headers.get("ETag");
  let data = null;
  if (response.status !== 204) {
    data = blob ? await response.blob() : await response.json();
  }
  return { status: response.status, data, etag, response };
}

export const get = (path, opts) => api(path, opts);
export const post = (path, body, opts = {}) => api(path, { ...opts, method: "POST", body });
export const patch = (path, body, opts = {}) => api(path, { ...opts, method: "PATCH", body });
export const del = (path, opts = {}) => api(path, { ...opts, method: "DELETE" });

/**
 * Upload a file with multipart/form-data through XMLHttpRequest, for its upload progress events.
 * `onProgress(loaded, total)` is called as bytes leave. Resolves with the parsed answer.
 */
export function upload(path, fields, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API}/${path}`);
    const token = getToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = { status: xhr.status, title: xhr.statusText || `HTTP ${xhr.status}` };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve({ status: xhr.status, data });
      else {
        if (xhr.status === 401) onUnauthorized();
        reject(new ApiError(xhr.status, data));
      }
    });
    const failed = () =>
      reject(new ApiError(0, { code: "network", title: t("err.network"), detail: t("err.network") }));
    xhr.addEventListener("error", failed);
    xhr.addEventListener("abort", failed);
    xhr.send(form);
  });
}

/**
 * The words to show for a refusal. In English: the problem's own `detail` (else its `title`).
 * In French, the API speaks English only, so a known `code` is said in French; an unknown one
 * falls back to the English detail (marked lang="en" by `problemNode`).
 */
export function problemText(error) {
  if (!(error instanceof ApiError)) return t("err.unexpected", { status: "?" });
  const problem = error.problem || {};
  if (error.code === "network") return t("err.network");
  if (lang() === "en") return problem.detail || problem.title || t("err.unexpected", { status: error.status });
  if (error.code && has(`problem.${error.code}`)) return t(`problem.${error.code}`);
  return problem.detail || problem.title || t("err.unexpected", { status: error.status });
}

/** Whether `problemText` had to fall back to the API's English words on a French page. */
export function problemIsEnglish(error) {
  return lang() !== "en" && !(error instanceof ApiError && error.code && has(`problem.${error.code}`));
}

/** Random id for Idempotency-Key. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** Save a Blob as a download with `filename`. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 30000);
}

/** The file name a response's Content-Disposition gives, else `fallback`. */
export function dispositionName(response, fallback) {
  const header = response?.headers?.get("Content-Disposition") || "";
  const star = header.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) return decodeURIComponent(star[1]);
  const plain = header.match(/filename="([^"]+)"/i);
  return plain ? plain[1] : fallback;
}

/** A span with the refusal's words, marked lang="en" when they are the API's English. */
export function problemNode(error) {
  const span = document.createElement("span");
  span.textContent = problemText(error);
  if (problemIsEnglish(error)) span.lang = "en";
  return span;
}
