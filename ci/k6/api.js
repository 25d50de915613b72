// The file-drop API as its clients use it: one function per flow, each request tagged with its
// flow, each answer checked. Scenarios combine these; setup() and teardown() create and remove the
// data they need through the same API.
import http from 'k6/http';
import { check } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';

import { REQUEST_TIMEOUT } from './slo.js';

const BASE_URL = (__ENV.BASE_URL || '').replace(/\/+$/, '');
// API_TOKEN_FILE: for a token mounted as a file (a container secret), read once per VU.
const TOKEN = __ENV.API_TOKEN || (__ENV.API_TOKEN_FILE ? open(__ENV.API_TOKEN_FILE).trim() : '');

const ERROR_NO_BASE_URL = 'BASE_URL is not set: the app to test, e.g. http://127.0.0.1:8000';
const ERROR_NO_TOKEN = 'API_TOKEN (or API_TOKEN_FILE) is not set: a token from `app issue_token`';
const ERROR_TOKEN_REJECTED = 'the API token was rejected: GET /api/v1/me answered';

const FILE_BYTES = Number(__ENV.FILE_BYTES || 2048);
const SEED_FILES = Number(__ENV.SEED_FILES || 5);
const PAGE_LIMIT = 100;

// The share of answers that were 5xx, from the app or from anything in front of it.
const serverErrors = new Rate('server_errors');

function answered(response, flow) {
  serverErrors.add(response.status >= 500, { flow });
  return response;
}

function params(flow, name, extra = {}) {
  return {
    headers: { Authorization: `Bearer ${TOKEN}`, ...(extra.headers || {}) },
    tags: { flow, name },
    timeout: REQUEST_TIMEOUT,
    redirects: extra.redirects,
  };
}

function jsonOf(response) {
  try {
    return response.json();
  } catch {
    return null;
  }
}

// Plain text of `bytes` bytes that names the file it belongs to.
function textOf(name, bytes = FILE_BYTES) {
  const line = `k6 load test file ${name}\n`;
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

// A name unique to this run, VU and iteration; `prefix` tells this run's files apart.
function fileName(prefix, kind) {
  return `${prefix}-${exec.vu.idInTest}-${exec.vu.iterationInInstance}-${kind}.txt`;
}

export function runPrefix() {
  return `k6-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export function me(flow = 'me') {
  const response = answered(http.get(`${BASE_URL}/api/v1/me`, params(flow, 'GET /api/v1/me')), flow);
  check(response, {
    'me: 200 with the quota': (r) => r.status === 200 && (jsonOf(r)?.quota?.files_limit ?? 0) > 0,
  }, { flow });
  return response;
}

export function list(cursor = null, flow = 'list', limit = 20) {
  const query = cursor ? `limit=${limit}&cursor=${encodeURIComponent(cursor)}` : `limit=${limit}`;
  const response = answered(http.get(`${BASE_URL}/api/v1/files?${query}`, params(flow, 'GET /api/v1/files')), flow);
  const page = jsonOf(response);
  const ok = check(response, { 'list: 200 with a page': (r) => r.status === 200 && Array.isArray(page?.items) }, {
    flow,
  });
  return ok ? page : null;
}

export function get(id, flow = 'get') {
  const response = answered(http.get(`${BASE_URL}/api/v1/files/${id}`, params(flow, 'GET /api/v1/files/{id}')), flow);
  check(response, { 'get: 200, the file asked for': (r) => r.status === 200 && jsonOf(r)?.id === id }, { flow });
  return response;
}

// The redirect is the answer: its target is storage's (or the CDN's), not the app's.
export function download(id, flow = 'download') {
  const url = `${BASE_URL}/api/v1/files/${id}/download`;
  const response = answered(http.get(url, params(flow, 'GET /api/v1/files/{id}/download', { redirects: 0 })), flow);
  check(response, {
    'download: 302 to a signed URL, as an attachment': (r) =>
      r.status === 302 &&
      Boolean(r.headers.Location) &&
      (r.headers['Content-Disposition'] || '').startsWith('attachment'),
  }, { flow });
  return response;
}

export function remove(id, flow = 'delete') {
  const url = `${BASE_URL}/api/v1/files/${id}`;
  const response = answered(http.del(url, null, params(flow, 'DELETE /api/v1/files/{id}')), flow);
  check(response, { 'delete: 204': (r) => r.status === 204 }, { flow });
  return response.status === 204;
}

// Multipart `POST /api/v1/files`; the id of the ready file, or null.
export function uploadSmall(name, body, flow = 'upload_small') {
  const response = answered(http.post(
    `${BASE_URL}/api/v1/files`,
    { file: http.file(body, name, 'text/plain') },
    params(flow, 'POST /api/v1/files'),
  ), flow);
  const file = jsonOf(response);
  const ok = check(response, {
    'upload small: 201, ready, every byte': (r) =>
      r.status === 201 && file?.status === 'ready' && file?.size === body.length,
  }, { flow });
  return ok ? file.id : null;
}

// Start, PUT the bytes to the returned URL with exactly the returned headers, complete.
// The id of the ready file, or null; a half-done upload is deleted, so it holds no quota.
export function uploadDirect(name, body) {
  const started = answered(http.post(
    `${BASE_URL}/api/v1/uploads`,
    JSON.stringify({
      filename: name,
      size: body.length,
      content_type: 'text/plain',
      checksum: crypto.md5(body, 'base64'),
    }),
    params('upload_start', 'POST /api/v1/uploads', { headers: { 'Content-Type': 'application/json' } }),
  ), 'upload_start');
  const target = jsonOf(started);
  const isStarted = check(started, {
    'upload start: 201 with a URL and its headers': (r) =>
      r.status === 201 && Boolean(target?.upload_url) && typeof target?.headers === 'object',
  }, { flow: 'upload_start' });
  if (!isStarted) return null;

  // Storage's URL authorises the PUT by itself: the API token is not sent there.
  const put = answered(http.request(target.method || 'PUT', target.upload_url, body, {
    headers: target.headers,
    tags: { flow: 'upload_put', name: 'PUT upload_url' },
    timeout: REQUEST_TIMEOUT,
  }), 'upload_put');
  const isPut = check(put, { 'upload put: 2xx from storage': (r) => r.status >= 200 && r.status < 300 }, {
    flow: 'upload_put',
  });

  const completeUrl = `${BASE_URL}/api/v1/uploads/${target.id}/complete`;
  const completeParams = params('upload_complete', 'POST /api/v1/uploads/{id}/complete');
  const completed = isPut ? answered(http.post(completeUrl, null, completeParams), 'upload_complete') : null;
  const file = completed ? jsonOf(completed) : null;
  const isReady = completed !== null && check(completed, {
    'upload complete: 200, ready, checksum kept': (r) =>
      r.status === 200 && file?.status === 'ready' && file?.checksum_md5 === crypto.md5(body, 'base64'),
  }, { flow: 'upload_complete' });
  if (!isReady) {
    remove(target.id);
    return null;
  }
  return target.id;
}

// The iterations the scenarios run.

// A reader: who am I, the newest page, then one of the seeded files and its download link.
export function browse(data) {
  me();
  list();
  const id = data.seedIds[Math.floor(Math.random() * data.seedIds.length)];
  get(id);
  download(id);
}

// A writer through the API: upload, read it back, get its link, delete it.
export function writeSmall(data) {
  const name = fileName(data.prefix, 'small');
  const id = uploadSmall(name, textOf(name));
  if (id === null) return;
  get(id);
  download(id);
  remove(id);
}

// A writer straight to storage: start, PUT, complete, delete.
export function writeDirect(data) {
  const name = fileName(data.prefix, 'direct');
  const id = uploadDirect(name, textOf(name));
  if (id !== null) remove(id);
}

// The scripts' setup(): the configuration is there, the token works, a few files for the readers.
export function setup() {
  requireConfiguration();
  const response = me('setup');
  if (response.status !== 200) {
    throw new Error(`${ERROR_TOKEN_REJECTED} ${response.status} at ${BASE_URL}`);
  }
  const prefix = runPrefix();
  const seedIds = [];
  for (let index = 0; index < SEED_FILES; index += 1) {
    const name = `${prefix}-seed-${index}.txt`;
    const id = uploadSmall(name, textOf(name), 'setup');
    if (id === null) throw new Error(`could not upload the seed file ${name}: see the failed check above`);
    seedIds.push(id);
  }
  return { prefix, seedIds };
}

// The scripts' teardown(): every file of this run still listed (the seeds, and any an interrupted
// iteration left), page by page. Pending uploads are not listed; they expire (`app cleanup_uploads`).
export function teardown(data) {
  const ours = [];
  let cursor = null;
  do {
    const page = list(cursor, 'teardown', PAGE_LIMIT);
    if (page === null) break;
    for (const file of page.items) {
      if (file.filename.startsWith(`${data.prefix}-`)) ours.push(file.id);
    }
    cursor = page.next_cursor;
  } while (cursor);
  for (const id of ours) remove(id, 'teardown');
}

export function requireConfiguration() {
  if (!BASE_URL) throw new Error(ERROR_NO_BASE_URL);
  if (!TOKEN) throw new Error(ERROR_NO_TOKEN);
}
