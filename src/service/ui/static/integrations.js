// @ts-check
// Integration pages: the list, a new integration, and one integration with its manifest editor,
// secrets (set or missing, write-only inputs) and recent runs.

import { api } from "./api.js";
import { errorBox, h, replace, time } from "./dom.js";
import { manifestEditor } from "./manifest-editor.js";
import { runsTable } from "./runs.js";
import { secretsPanel } from "./secrets.js";

/** @typedef {import("./app.js").View} View */

const STARTER = {
  initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
  headers: { Authorization: "Bearer {{ API_TOKEN }}" },
  execute: [
    {
      name: "Create user",
      url: "https://api.example.com/users",
      data: { email: "{{ email }}" },
      store_data: { USER_ID: "id" },
    },
  ],
};

/** @param {Array<{ declared: boolean, generated: boolean, set: boolean }>} secrets */
function missingCount(secrets) {
  return secrets.filter((secret) => secret.declared && !secret.generated && !secret.set).length;
}

/** @param {View} view */
export async function integrationsList({ root }) {
  const { items } = await api("GET", "/api/integrations?limit=500");
  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h("h1", {}, "Integrations"),
      h("a", { class: "button", href: "#/integrations/new" }, "New integration"),
    ),
    items.length === 0
      ? h("p", { class: "muted" }, "No integrations yet.")
      : h(
          "table",
          { class: "list", "data-testid": "integrations" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", {}, "Name"), h("th", {}, "Secrets"), h("th", {}, "Updated")),
          ),
          h(
            "tbody",
            {},
            items.map((/** @type {any} */ integration) => {
              const missing = missingCount(integration.secrets);
              return h(
                "tr",
                {},
                h("td", {}, h("a", { href: `#/integrations/${integration.id}` }, integration.name)),
                h(
                  "td",
                  {},
                  missing === 0
                    ? h("span", { class: "badge ok" }, "all set")
                    : h("span", { class: "badge warn" }, `${missing} missing`),
                ),
                h("td", {}, time(integration.updated_at)),
              );
            }),
          ),
        ),
  );
}

/** @param {View} view */
export async function integrationNew({ root, onDispose, onLeave }) {
  const name = h("input", {
    name: "name",
    required: true,
    placeholder: "e.g. Slack: create account",
  });
  const editor = manifestEditor(JSON.stringify(STARTER, null, 2));
  onDispose(editor.dispose);
  let created = false;
  onLeave(() => !created && (editor.isDirty() || name.value.trim() !== ""));
  const result = h("div", { class: "result" });
  const create = async () => {
    try {
      const integration = await api("POST", "/api/integrations", {
        name: name.value,
        manifest: editor.parsed(),
      });
      created = true;
      location.hash = `#/integrations/${integration.id}`;
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  };
  replace(
    root,
    h("h1", {}, "New integration"),
    h(
      "div",
      { class: "card" },
      h("label", {}, "Name", name),
      editor.element,
      h("button", { type: "button", onclick: () => void create() }, "Create integration"),
      result,
    ),
  );
}

/** @param {View} view */
export async function integrationDetail({ root, params, onDispose, onLeave }) {
  const id = params.id ?? "";
  const [integration, runs] = await Promise.all([
    api("GET", `/api/integrations/${encodeURIComponent(id)}`),
    api("GET", `/api/runs?integration_id=${encodeURIComponent(id)}&limit=10`),
  ]);
  const name = h("input", { name: "name", value: integration.name, required: true });
  const idempotency = h("input", {
    type: "checkbox",
    name: "idempotency_keys",
    checked: integration.options.idempotency_keys,
  });
  const hosts = h("input", {
    name: "allowed_hosts",
    value: (integration.options.allowed_hosts ?? []).join(", "),
    placeholder: "any host (e.g. api.example.com, *.example.com)",
  });
  const limit = integration.options.rate_limit ?? {};
  /** @param {string} name @param {number | undefined} value @param {string} step */
  const numberInput = (name, value, step) =>
    h("input", {
      type: "number",
      name,
      min: step === "any" ? "0" : "1",
      step,
      value: value === undefined ? "" : String(value),
      placeholder: "no limit",
    });
  const perSecond = numberInput("requests_per_second", limit.requests_per_second, "any");
  const burst = numberInput("burst", limit.burst, "1");
  const inFlight = numberInput("max_in_flight", limit.max_in_flight, "1");
  const editor = manifestEditor(JSON.stringify(integration.manifest, null, 2));
  onDispose(editor.dispose);
  let savedName = integration.name;
  let deleted = false;
  onLeave(() => !deleted && (editor.isDirty() || name.value !== savedName));
  const saved = h("div", { class: "result", "data-testid": "save-result" });
  const save = async () => {
    try {
      const sentName = name.value;
      const sentText = editor.text();
      const list = hosts.value.split(/[\s,]+/).filter((host) => host !== "");
      /** @type {{ idempotency_keys: boolean, allowed_hosts?: string[], rate_limit?: Record<string, number> }} */
      const options = { idempotency_keys: idempotency.checked };
      if (list.length > 0) options.allowed_hosts = list;
      /** @type {Record<string, number>} */
      const rateLimit = {};
      for (const input of [perSecond, burst, inFlight])
        if (input.value.trim() !== "") rateLimit[input.name] = Number(input.value);
      if (Object.keys(rateLimit).length > 0) options.rate_limit = rateLimit;
      const updated = await api("PUT", `/api/integrations/${encodeURIComponent(id)}`, {
        name: sentName,
        manifest: JSON.parse(sentText),
        options,
      });
      editor.markSaved(sentText);
      savedName = sentName;
      replace(saved, h("p", { class: "ok-box" }, `Saved at ${new Date().toLocaleTimeString()}.`));
      secrets.refresh(updated.secrets);
    } catch (caught) {
      replace(saved, errorBox(/** @type {any} */ (caught)));
    }
  };
  const remove = async () => {
    if (!confirm(`Delete the integration “${integration.name}” and its secrets?`)) return;
    try {
      await api("DELETE", `/api/integrations/${encodeURIComponent(id)}`);
      deleted = true;
      location.hash = "#/integrations";
    } catch (caught) {
      replace(saved, errorBox(/** @type {any} */ (caught)));
    }
  };
  const secrets = secretsPanel(integration);

  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h("h1", {}, integration.name),
      h(
        "a",
        { class: "button", href: `#/runs/new?integration=${integration.id}` },
        "Trigger a run",
      ),
    ),
    h(
      "p",
      { class: "muted" },
      h("code", {}, integration.id),
      " · created ",
      time(integration.created_at),
    ),
    h("div", { class: "card" }, h("h2", {}, "Secrets"), secrets.element),
    integration.oauth !== undefined ? oauthCard(id, integration.oauth) : null,
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Manifest"),
      h("label", {}, "Name", name),
      h(
        "div",
        { class: "row" },
        h("label", { class: "inline" }, idempotency, " Send Idempotency-Key on POST/PATCH"),
        h("label", { class: "grow" }, "Allowed hosts", hosts),
      ),
      h(
        "div",
        { class: "row" },
        h("label", {}, "Requests per second", perSecond),
        h("label", {}, "Burst", burst),
        h("label", {}, "Max in flight", inFlight),
      ),
      rateLimitStatus(integration.rate_limit_status),
      editor.element,
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", onclick: () => void save() }, "Save"),
        h(
          "button",
          { type: "button", class: "danger", onclick: () => void remove() },
          "Delete integration",
        ),
      ),
      saved,
    ),
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Recent runs"),
      runsTable(runs.items, { [integration.id]: integration.name }),
      h("a", { href: `#/runs?integration_id=${integration.id}` }, "All runs of this integration"),
    ),
  );
}

/**
 * The shared rate limit as every process sees it now (after a 429: slower, maybe paused).
 * @param {{ requests_per_second: number | null, paused_until: string | null, in_flight: number, throttled: number } | undefined} status
 */
function rateLimitStatus(status) {
  if (status === undefined) return null;
  return h(
    "p",
    { class: "muted", "data-testid": "rate-limit-status" },
    status.requests_per_second !== null
      ? `Now ${Math.round(status.requests_per_second * 100) / 100} requests per second`
      : "No rate set",
    ` · ${status.in_flight} in flight · ${status.throttled} answered 429`,
    status.paused_until !== null ? [" · paused until ", time(status.paused_until)] : null,
  );
}

/**
 * @param {string} id
 * @param {{ connected: boolean, expires_at?: string }} oauth
 */
function oauthCard(id, oauth) {
  const result = h("div", { class: "result" });
  const authorize = async () => {
    try {
      const { url } = await api(
        "POST",
        `/api/integrations/${encodeURIComponent(id)}/oauth/authorize`,
      );
      window.open(url, "_blank", "noopener");
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  };
  return h(
    "div",
    { class: "card" },
    h("h2", {}, "OAuth"),
    h(
      "p",
      {},
      oauth.connected
        ? h("span", { class: "badge ok" }, "connected")
        : h("span", { class: "badge warn" }, "not connected"),
      oauth.expires_at !== undefined ? [" · token expires ", time(oauth.expires_at)] : null,
    ),
    h(
      "button",
      { type: "button", onclick: () => void authorize() },
      oauth.connected ? "Reconnect" : "Connect",
    ),
    result,
  );
}
