// What both pages share: the page's data, API calls with the session's CSRF
// token, problem details in words, and small DOM helpers. Text goes into the
// page with textContent only, never as HTML.

export const pageData = JSON.parse(document.getElementById("page-data").textContent);

const UNREACHABLE = "The server could not be reached. Check your connection and try again.";

export function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]").value;
}

/** An answer other than success: RFC 9457 problem details, or what stands in for them. */
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status; // 0: no answer at all (network, or a CORS refusal)
    this.code = body?.code ?? null;
    this.detail = body?.detail ?? "";
    // validation_failed lists what was wrong; its detail only points here.
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
  }
}

export function problemFrom(status, contentType, text) {
  let body = null;
  if (/json/.test(contentType || "")) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  return new Problem(status, body);
}

/** Calls the API as the signed-in browser; resolves to the JSON answer, rejects with a Problem. */
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrfToken() } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new Problem(0, null);
  }
  if (!response.ok) {
    throw problemFrom(response.status, response.headers.get("Content-Type"), await response.text());
  }
  return response.status === 204 ? null : response.json();
}

/** A problem in words: the page's sentence for its code, then the server's detail (figures, names). */
export function words(problem) {
  if (problem.status === 0) return UNREACHABLE;
  const known = pageData.problems[problem.code];
  if (!known) return problem.detail || `The server answered with status ${problem.status}.`;
  const detail = problem.errors.length ? problem.errors.map((error) => `${error.msg}.`).join(" ") : problem.detail;
  return detail && detail !== known ? `${known} ${detail}` : known;
}

/** Shows a problem; anything that is not a Problem is a bug in this page, so it is thrown on. */
export function report(prefix, error) {
  const line = document.createElement("p");
  line.textContent = `${prefix} ${error instanceof Problem ? words(error) : "Something went wrong in this page."}`;
  document.getElementById("problem").append(line);
  if (!(error instanceof Problem)) throw error;
}

export function clearProblems() {
  document.getElementById("problem").replaceChildren();
}

/** Says something to screen readers (a polite live region). */
export function announce(text) {
  document.getElementById("status").textContent = text;
}

const UNITS = ["bytes", "kB", "MB", "GB", "TB"];

export function formatBytes(bytes) {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} ${UNITS[0]}` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

const DATES = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso) {
  return DATES.format(new Date(iso));
}

/** A copy of a <template>'s element with each [data-field] filled from `fields`. */
export function fromTemplate(id, fields) {
  const element = document.getElementById(id).content.firstElementChild.cloneNode(true);
  for (const [name, text] of Object.entries(fields)) {
    element.querySelector(`[data-field="${name}"]`).textContent = text;
  }
  return element;
}

export function field(element, name) {
  return element.querySelector(`[data-field="${name}"]`);
}

/** Asks in the page's modal dialog; resolves to true when the person confirms. */
function confirmAction(question, action) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-question").textContent = question;
  document.getElementById("confirm-action").textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
  });
}

/** Asks, then DELETEs `path` and says how it went; resolves to true unless the person said no. */
export async function deleteConfirmed({ question, action, path, done, failed }) {
  if (!(await confirmAction(question, action))) return false;
  clearProblems();
  try {
    await api("DELETE", path);
    announce(done);
  } catch (error) {
    report(failed, error);
  }
  // The row and its button are going: focus goes back to the list.
  document.getElementById("list-heading").focus();
  return true;
}

/** Shows a list's rows, or says it is empty. */
export function showRows(table, rows, emptyText) {
  table.tBodies[0].replaceChildren(...rows);
  table.hidden = rows.length === 0;
  document.getElementById("list-status").textContent = rows.length === 0 ? emptyText : "";
}
