// The files page: quota, uploads with progress, the list (newest first, a page
// at a time), download and delete.
//
// An upload goes straight to storage: POST /api/v1/uploads, then the bytes to
// the signed `upload_url` with exactly the returned headers (XMLHttpRequest,
// for its upload progress events), then POST /api/v1/uploads/{id}/complete.
// When the server says the direct path is not available, the file goes to
// POST /api/v1/files instead.

import {
  Problem, announce, api, clearProblems, csrfToken, deleteConfirmed, field, formatBytes, formatDate,
  fromTemplate, pageData, problemFrom, report, showRows,
} from "./common.js";

const PAGE_SIZE = 20;
// Headers the browser sets itself from the body; XMLHttpRequest refuses them.
const SET_BY_BROWSER = new Set(["content-length", "host"]);
const STORAGE_UNREACHABLE = "Storage could not be reached (the network, or the bucket's CORS settings do not allow this site).";
const ACCEPTED = new Set(Object.values(pageData.types));

const table = document.getElementById("files");
const more = document.getElementById("more");
let nextCursor = null;
let shownRows = [];

async function showQuota() {
  const { quota } = await api("GET", "/api/v1/me");
  document.getElementById("quota-text").textContent =
    `${formatBytes(quota.bytes_used)} of ${formatBytes(quota.bytes_limit)} used (${formatBytes(quota.bytes_left)} left), ` +
    `${quota.files_used} of ${quota.files_limit} files.`;
  const meter = document.getElementById("quota-meter");
  meter.max = quota.bytes_limit || 1;
  meter.value = quota.bytes_used;
}

function fileRow(file) {
  const row = fromTemplate("file-row", {
    filename: file.filename,
    size: formatBytes(file.size),
    type: file.content_type,
    created: formatDate(file.created_at),
    "download-name": ` ${file.filename}`,
    "delete-name": ` ${file.filename}`,
  });
  field(row, "download").href = `/api/v1/files/${encodeURIComponent(file.id)}/download`;
  field(row, "delete").addEventListener("click", () => remove(file));
  return row;
}

async function showFiles(older) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (older) query.set("cursor", nextCursor);
  const page = await api("GET", `/api/v1/files?${query}`);
  shownRows = [...(older ? shownRows : []), ...page.items.map(fileRow)];
  showRows(table, shownRows, "No files yet.");
  nextCursor = page.next_cursor;
  more.hidden = !nextCursor;
}

async function refresh() {
  try {
    await Promise.all([showQuota(), showFiles(false)]);
  } catch (error) {
    report("The list could not be loaded.", error);
  }
}

async function remove(file) {
  const deleted = await deleteConfirmed({
    question: `Delete ${file.filename}? This cannot be undone.`,
    action: "Delete",
    path: `/api/v1/files/${encodeURIComponent(file.id)}`,
    done: `${file.filename} deleted.`,
    failed: `${file.filename} was not deleted.`,
  });
  if (deleted) await refresh();
}

// --- uploads ---------------------------------------------------------------

/** The type to declare: the browser's when it is one we accept, else the one the extension names. */
function contentTypeOf(file) {
  const declared = (file.type || "").toLowerCase();
  if (ACCEPTED.has(declared)) return declared;
  const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  return pageData.types[extension] || declared || "application/octet-stream";
}

/** Sends a body with XMLHttpRequest, moving the item's progress bar; rejects with a Problem. */
function send(method, url, headers, body, progress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    for (const [name, value] of Object.entries(headers)) {
      if (!SET_BY_BROWSER.has(name.toLowerCase())) request.setRequestHeader(name, value);
    }
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = (100 * event.loaded) / event.total;
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) {
        progress.value = 100;
        resolve();
      } else {
        reject(problemFrom(request.status, request.getResponseHeader("Content-Type"), request.responseText));
      }
    });
    request.addEventListener("error", () => reject(new Problem(0, null)));
    request.send(body);
  });
}

function smallUploadInstead(problem) {
  return [404, 405, 501].includes(problem.status) || pageData.smallUploadInstead.includes(problem.code);
}

async function uploadSmall(file, progress) {
  const form = new FormData();
  // A Blob over the File (no copy), so the part carries the type we declare.
  form.append("file", new Blob([file], { type: contentTypeOf(file) }), file.name);
  await send("POST", "/api/v1/files", { "X-CSRFToken": csrfToken() }, form, progress);
}

async function uploadDirect(file, progress) {
  let start;
  try {
    start = await api("POST", "/api/v1/uploads", { filename: file.name, size: file.size, content_type: contentTypeOf(file) });
  } catch (error) {
    if (error instanceof Problem && smallUploadInstead(error)) return uploadSmall(file, progress);
    throw error;
  }
  try {
    await send(start.method, start.upload_url, start.headers, file, progress);
  } catch (error) {
    if (error instanceof Problem && error.status === 0) throw new Problem(0, { detail: STORAGE_UNREACHABLE });
    throw error;
  }
  await api("POST", `/api/v1/uploads/${encodeURIComponent(start.id)}/complete`);
}

function setState(item, text, state) {
  field(item, "state").textContent = text;
  item.dataset.state = state;
}

async function upload(file, item) {
  const progress = field(item, "progress");
  setState(item, "Uploading", "uploading");
  announce(`Uploading ${file.name}.`);
  try {
    if (file.size === 0) throw new Problem(422, { code: "empty_file" });
    await uploadDirect(file, progress);
  } catch (error) {
    setState(item, "Not uploaded", "failed");
    announce("");
    report(`${file.name} was not uploaded.`, error);
    return;
  }
  setState(item, "Uploaded", "done");
  announce(`${file.name} uploaded.`);
  await refresh();
}

const queue = [];
let uploading = false;

async function uploadAll(files) {
  clearProblems();
  for (const file of files) {
    const item = fromTemplate("upload-item", { name: file.name });
    field(item, "progress").setAttribute("aria-label", `Upload of ${file.name}`);
    document.getElementById("uploads").append(item);
    queue.push([file, item]);
  }
  if (uploading) return;
  uploading = true;
  // One at a time: each file gets the whole connection, and the list grows in order.
  while (queue.length > 0) await upload(...queue.shift());
  uploading = false;
}

const input = document.getElementById("file-input");
input.addEventListener("change", () => {
  const files = [...input.files];
  input.value = "";
  uploadAll(files);
});

// A file dropped anywhere on the page is uploaded (instead of the browser opening it).
const zone = document.getElementById("drop-zone");
document.addEventListener("dragover", (event) => {
  event.preventDefault();
  zone.classList.add("dragging");
});
document.addEventListener("dragleave", (event) => {
  if (event.relatedTarget === null) zone.classList.remove("dragging");
});
document.addEventListener("drop", (event) => {
  event.preventDefault();
  zone.classList.remove("dragging");
  if (event.dataTransfer?.files.length) uploadAll([...event.dataTransfer.files]);
});

more.addEventListener("click", () => showFiles(true).catch((error) => report("Older files could not be loaded.", error)));

refresh();
