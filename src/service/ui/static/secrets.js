// @ts-check
// An integration's secrets: which are set and which are missing, never a value, with each
// item's description. Inputs are write-only fields cleared once the value is sent: password
// fields, except for values the manifest marks "secret": false (a base URL), shown as typed.

import { api } from "./api.js";
import { errorBox, h, replace, time } from "./dom.js";

/**
 * @typedef {{ id: string, name: string, description?: string, declared: boolean, secret: boolean, generated: boolean, set: boolean, updated_at?: string }} SecretStatus
 */

/** @param {SecretStatus} secret */
function state(secret) {
  if (secret.generated) return h("span", { class: "badge muted" }, "generated per run");
  if (secret.set)
    return h("span", { class: "badge ok" }, secret.declared ? "set" : "set (not declared)");
  return h("span", { class: "badge warn" }, "missing");
}

/**
 * @param {{ id: string, secrets: SecretStatus[] }} integration
 * @returns {{ element: HTMLElement, refresh: (secrets: SecretStatus[]) => void }}
 */
export function secretsPanel(integration) {
  const path = `/api/integrations/${encodeURIComponent(integration.id)}/secrets`;
  const table = h("tbody", {});
  const result = h("div", { class: "result" });

  /** @param {Record<string, string>} values */
  const setValues = async (values) => {
    try {
      const { secrets } = await api("PUT", path, values);
      refresh(secrets);
      replace(result, h("p", { class: "ok-box" }, `Saved ${Object.keys(values).join(", ")}.`));
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  };

  /** @param {string} key */
  const remove = async (key) => {
    try {
      await api("DELETE", `${path}/${encodeURIComponent(key)}`);
      const { secrets } = await api("GET", path);
      refresh(secrets);
      replace(result, h("p", { class: "ok-box" }, `Deleted ${key}.`));
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  };

  /** @param {SecretStatus} secret */
  const row = (secret) => {
    // A value the manifest marks "secret": false (a base URL) is typed where it can be read.
    const input = h("input", {
      type: secret.secret ? "password" : "text",
      autocomplete: secret.secret ? "new-password" : "off",
      placeholder: secret.set ? "replace value" : "value",
      "aria-label": `New value for ${secret.id}`,
    });
    const send = () => {
      if (input.value === "") return;
      const value = input.value;
      input.value = "";
      void setValues({ [secret.id]: value });
    };
    input.addEventListener("keydown", (event) => event.key === "Enter" && send());
    return h(
      "tr",
      { "data-secret": secret.id },
      h("td", {}, h("code", {}, secret.id)),
      h(
        "td",
        {},
        secret.name !== secret.id ? secret.name : "",
        secret.secret ? "" : h("span", { class: "muted" }, " (not masked)"),
        secret.description !== undefined
          ? h("small", { class: "muted description" }, secret.description)
          : null,
      ),
      h("td", { class: "secret-state" }, state(secret)),
      h("td", {}, secret.updated_at !== undefined ? time(secret.updated_at) : ""),
      h(
        "td",
        { class: "row" },
        secret.generated ? null : [input, h("button", { type: "button", onclick: send }, "Set")],
        secret.set
          ? h(
              "button",
              { type: "button", class: "danger", onclick: () => void remove(secret.id) },
              "Delete",
            )
          : null,
      ),
    );
  };

  /** @param {SecretStatus[]} secrets */
  const refresh = (secrets) => replace(table, secrets.map(row));
  refresh(integration.secrets);

  const extraKey = h("input", {
    placeholder: "OTHER_SECRET",
    pattern: "[A-Za-z0-9_]+",
    "aria-label": "Secret name",
  });
  const extraValue = h("input", {
    type: "password",
    autocomplete: "new-password",
    placeholder: "value",
    "aria-label": "Secret value",
  });
  const addExtra = () => {
    if (extraKey.value === "" || extraValue.value === "") return;
    const values = { [extraKey.value]: extraValue.value };
    extraKey.value = "";
    extraValue.value = "";
    void setValues(values);
  };

  return {
    element: h(
      "div",
      { "data-testid": "secrets" },
      h(
        "table",
        { class: "list" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "Id"),
            h("th", {}, "Name"),
            h("th", {}, "Status"),
            h("th", {}, "Updated"),
            h("th", {}, ""),
          ),
        ),
        table,
      ),
      h(
        "div",
        { class: "row" },
        "Another secret:",
        extraKey,
        extraValue,
        h("button", { type: "button", onclick: addExtra }, "Set"),
      ),
      result,
    ),
    refresh,
  };
}
