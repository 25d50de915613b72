// The tokens page: create (the secret shown once, with a copy button), list, revoke.
// Token routes take the browser session and its CSRF token, never a bearer token.

import { announce, api, clearProblems, deleteConfirmed, field, formatDate, fromTemplate, report, showRows } from "./common.js";

const table = document.getElementById("tokens");
const form = document.getElementById("token-form");
const panel = document.getElementById("new-token");
const secret = document.getElementById("new-token-value");

function stateOf(token) {
  if (token.revoked_at) return "Revoked";
  return new Date(token.expires_at) <= new Date() ? "Expired" : "Active";
}

function tokenRow(token) {
  const state = stateOf(token);
  const row = fromTemplate("token-row", {
    name: token.name,
    prefix: `${token.prefix}…`,
    created: formatDate(token.created_at),
    expires: formatDate(token.expires_at),
    state,
    "revoke-name": ` ${token.name}`,
  });
  const revoke = field(row, "revoke");
  if (state === "Active") revoke.addEventListener("click", () => revokeToken(token));
  else revoke.remove();
  return row;
}

async function showTokens() {
  try {
    showRows(table, (await api("GET", "/api/v1/tokens")).map(tokenRow), "No tokens yet.");
  } catch (error) {
    report("The tokens could not be loaded.", error);
  }
}

async function revokeToken(token) {
  const revoked = await deleteConfirmed({
    question: `Revoke ${token.name}? Anything using it stops working at once.`,
    action: "Revoke",
    path: `/api/v1/tokens/${encodeURIComponent(token.id)}`,
    done: `${token.name} revoked.`,
    failed: `${token.name} was not revoked.`,
  });
  if (revoked) await showTokens();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearProblems();
  const name = document.getElementById("token-name").value.trim();
  let created;
  try {
    created = await api("POST", "/api/v1/tokens", { name, ttl_days: Number(document.getElementById("token-days").value) });
  } catch (error) {
    report("The token was not created.", error);
    return;
  }
  field(panel, "name").textContent = created.name;
  secret.value = created.token;
  panel.hidden = false;
  form.reset();
  secret.focus();
  secret.select();
  announce(`Token ${created.name} created. Copy it now: it is shown only this once.`);
  await showTokens();
});

document.getElementById("copy").addEventListener("click", async () => {
  secret.select();
  try {
    await navigator.clipboard.writeText(secret.value);
    announce("Token copied.");
  } catch {
    announce("The token is selected: press Ctrl+C (or Command+C) to copy it.");
  }
});

showTokens();
