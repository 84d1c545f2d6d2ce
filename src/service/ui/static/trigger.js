// @ts-check
// Triggering a run: pick an integration and a hire (and execute or revoke), answer the
// integration's form (fetched from GET /api/integrations/{id}/form, choices resolved by the
// server), send POST /api/runs and go to the run. A run that cannot start is refused before
// anything is sent; its problems are shown. Missing secrets are named first, with a link to set
// them; a sync-users manifest offers "Preview sync" instead, as it runs only as a sync.

import { api } from "./api.js";
import { errorBox, h, replace } from "./dom.js";

/** @typedef {import("./app.js").View} View */

/**
 * @typedef {{ id: string, name: string, type: "input" | "choice", description?: string, required: boolean,
 *   options?: Array<{ value: string, name: string }>, options_error?: string }} FormField
 */

/** @param {View} view */
export async function triggerView({ root, query }) {
  const [integrations, hires] = await Promise.all([
    api("GET", "/api/integrations?limit=500"),
    api("GET", "/api/hires?limit=500"),
  ]);
  const integration = h(
    "select",
    { name: "integration_id", required: true, "aria-label": "Integration" },
    h("option", { value: "" }, "choose an integration"),
    integrations.items.map((/** @type {any} */ item) =>
      h("option", { value: item.id, selected: item.id === query.get("integration") }, item.name),
    ),
  );
  const hire = h(
    "select",
    { name: "hire_id", required: true, "aria-label": "Hire" },
    h("option", { value: "" }, "choose a hire"),
    hires.items.map((/** @type {any} */ item) =>
      h(
        "option",
        { value: item.id, selected: item.id === query.get("hire") },
        [item.props.email, item.props.first_name, item.props.last_name].filter(Boolean).join(" · "),
      ),
    ),
  );
  const idempotencyKey = h("input", {
    name: "idempotency_key",
    placeholder: "optional, makes a retry of this trigger safe",
  });
  const fields = h("div", { class: "form-fields", "data-testid": "form-fields" });
  const result = h("div", { class: "result" });
  /** @type {FormField[]} */
  let form = [];
  let loading = 0;

  const block = h(
    "select",
    { name: "block", "aria-label": "Block" },
    h("option", { value: "execute" }, "execute: provision"),
    h("option", { value: "revoke", selected: query.get("block") === "revoke" }, "revoke: offboard"),
  );
  const blockLabel = h("label", { hidden: true }, "What to run", block);
  const hireLabel = h("label", {}, "Hire", hire);
  const submit = h("button", { type: "submit" }, "Trigger run");

  /**
   * Before the form: a sync-users manifest runs only as a sync, and a run cannot start until
   * the integration's secrets are set. Answers false when the form should not be shown.
   * @param {any} chosen the integration as GET /api/integrations/{id} answers
   */
  const ready = (chosen) => {
    const manifest = chosen.manifest ?? {};
    const isSync = "action" in manifest || "data_structure" in manifest;
    const revocable = Array.isArray(manifest.revoke) && manifest.revoke.length > 0;
    blockLabel.hidden = isSync || !revocable;
    if (!revocable) block.value = "execute";
    hireLabel.hidden = isSync;
    hire.required = !isSync;
    submit.hidden = isSync;
    if (isSync) {
      replace(
        fields,
        h(
          "div",
          { class: "notice", "data-testid": "sync-notice" },
          h(
            "p",
            {},
            `${chosen.name} is a sync-users manifest: it fetches the directory and creates or updates hires, so it runs as a sync, not for one hire. Preview what it would change, then apply it.`,
          ),
          h("a", { class: "button", href: `#/integrations/${chosen.id}/sync` }, "Preview sync"),
        ),
      );
      return false;
    }
    const missing = (chosen.secrets ?? []).filter(
      (/** @type {any} */ secret) => secret.declared && !secret.generated && !secret.set,
    );
    if (missing.length > 0) {
      replace(
        fields,
        h(
          "div",
          { class: "warn-box", role: "alert", "data-testid": "secrets-missing" },
          "Set the secrets first: ",
          missing.map((/** @type {any} */ secret) => secret.id).join(", "),
          missing.length === 1 ? " is not set. " : " are not set. ",
          h("a", { href: `#/integrations/${chosen.id}` }, `Set them on ${chosen.name}`),
          ".",
        ),
      );
      submit.disabled = true;
      return false;
    }
    submit.disabled = false;
    return true;
  };

  const loadForm = async () => {
    const mine = ++loading;
    form = [];
    if (integration.value === "") return replace(fields);
    replace(fields, h("p", { class: "muted" }, "Loading the form…"));
    try {
      const chosen = await api("GET", `/api/integrations/${encodeURIComponent(integration.value)}`);
      if (mine !== loading || !ready(chosen)) return;
      const hireQuery = hire.value !== "" ? `?hire_id=${encodeURIComponent(hire.value)}` : "";
      const answer = await api(
        "GET",
        `/api/integrations/${encodeURIComponent(integration.value)}/form${hireQuery}`,
      );
      if (mine !== loading) return;
      form = answer.fields;
      replace(
        fields,
        form.length === 0
          ? h("p", { class: "muted" }, "This integration asks nothing per run.")
          : form.map(fieldInput),
      );
    } catch (caught) {
      if (mine === loading) replace(fields, errorBox(/** @type {any} */ (caught)));
    }
  };
  integration.addEventListener("change", () => void loadForm());
  hire.addEventListener("change", () => void loadForm());

  const element = h(
    "form",
    { class: "card", "data-testid": "trigger" },
    h("label", {}, "Integration", integration),
    hireLabel,
    blockLabel,
    fields,
    h("label", {}, "Idempotency-Key", idempotencyKey),
    submit,
    result,
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    /** @type {Record<string, string>} */
    const params = {};
    for (const field of form) {
      const input = /** @type {HTMLInputElement | HTMLSelectElement | null} */ (
        element.querySelector(`[data-param="${CSS.escape(field.id)}"]`)
      );
      if (input !== null && input.value !== "") params[field.id] = input.value;
    }
    try {
      const run = await api(
        "POST",
        "/api/runs",
        {
          integration_id: integration.value,
          hire_id: hire.value,
          ...(block.value === "revoke" ? { block: "revoke" } : {}),
          params,
        },
        idempotencyKey.value !== "" ? { headers: { "idempotency-key": idempotencyKey.value } } : {},
      );
      location.hash = `#/runs/${run.id}`;
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  });

  replace(root, h("h1", {}, "Trigger a run"), element);
  await loadForm();
}

/** @param {FormField} field */
function fieldInput(field) {
  const attrs = { "data-param": field.id, name: `param_${field.id}`, required: field.required };
  const control =
    field.type === "choice" && field.options !== undefined
      ? h(
          "select",
          attrs,
          h("option", { value: "" }, "choose…"),
          field.options.map((option) => h("option", { value: option.value }, option.name)),
        )
      : h("input", attrs);
  return h(
    "label",
    {},
    field.name,
    field.required ? h("span", { class: "muted" }, " (required)") : null,
    control,
    field.description !== undefined ? h("small", { class: "muted" }, field.description) : null,
    field.options_error !== undefined
      ? h("small", { class: "error-text" }, field.options_error)
      : null,
  );
}
