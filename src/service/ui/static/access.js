// @ts-check
// A hire's access and offboarding, shown on the hire page: one click checks every integration
// that has an `exists` block (GET /api/hires/{id}/access, run now, nothing stored), and each
// integration with a `revoke` block can be run for the hire (POST /api/runs, block revoke).

import { api } from "./api.js";
import { errorBox, h, replace } from "./dom.js";

/**
 * @param {boolean | null} exists
 */
function accessBadge(exists) {
  if (exists === true) return h("span", { class: "badge ok", "data-access": "yes" }, "has access");
  if (exists === false)
    return h("span", { class: "badge muted", "data-access": "no" }, "no access");
  return h("span", { class: "badge warn", "data-access": "unknown" }, "unknown");
}

/** @param {unknown} manifest */
function hasBlock(manifest, /** @type {string} */ name) {
  if (typeof manifest !== "object" || manifest === null) return false;
  const block = /** @type {Record<string, unknown>} */ (manifest)[name];
  return name === "revoke" ? Array.isArray(block) && block.length > 0 : block !== undefined;
}

/**
 * The "Access" and "Offboarding" cards of a hire.
 * @param {{ id: string, props: Record<string, any> }} hire
 * @param {Array<{ id: string, name: string, manifest: unknown }>} integrations
 */
export function hireAccessCards(hire, integrations) {
  const id = encodeURIComponent(hire.id);
  const checkable = integrations.filter((item) => hasBlock(item.manifest, "exists"));
  const revocable = integrations.filter((item) => hasBlock(item.manifest, "revoke"));
  const overview = h("div", { "data-testid": "access" });
  const checkButton = h("button", { type: "button" }, "Check access");
  checkButton.addEventListener("click", async () => {
    checkButton.disabled = true;
    replace(overview, h("p", { class: "muted" }, "Checking every integration…"));
    try {
      const answer = await api("GET", `/api/hires/${id}/access`);
      replace(
        overview,
        answer.items.length === 0
          ? h("p", { class: "muted" }, "No integration has an exists block.")
          : h(
              "table",
              { class: "list" },
              h(
                "thead",
                {},
                h("tr", {}, h("th", {}, "Integration"), h("th", {}, "Access"), h("th", {}, "Why")),
              ),
              h(
                "tbody",
                {},
                answer.items.map((/** @type {any} */ item) =>
                  h(
                    "tr",
                    { "data-integration": item.integration_id },
                    h(
                      "td",
                      {},
                      h("a", { href: `#/integrations/${item.integration_id}` }, item.name),
                    ),
                    h("td", {}, accessBadge(item.exists)),
                    h("td", { class: "wrap" }, item.reason),
                  ),
                ),
              ),
            ),
        h(
          "p",
          { class: "muted" },
          "Checked ",
          new Date().toLocaleString(),
          "; nothing was stored.",
        ),
      );
    } catch (caught) {
      replace(overview, errorBox(/** @type {any} */ (caught)));
    } finally {
      checkButton.disabled = false;
    }
  });

  const revokeResult = h("div", { class: "result" });
  /** @param {{ id: string, name: string }} integration */
  const revoke = async (integration) => {
    const who = hire.props.email ?? hire.id;
    if (
      !confirm(`Run the revoke steps of ${integration.name} for ${who}? This removes their access.`)
    )
      return;
    try {
      const run = await api("POST", "/api/runs", {
        integration_id: integration.id,
        hire_id: hire.id,
        block: "revoke",
      });
      location.hash = `#/runs/${run.id}`;
    } catch (caught) {
      replace(revokeResult, errorBox(/** @type {any} */ (caught)));
    }
  };

  return [
    h(
      "div",
      { class: "card" },
      h("div", { class: "view-head" }, h("h2", {}, "Access"), checkButton),
      checkable.length === 0
        ? h("p", { class: "muted" }, "No integration has an exists block to check with.")
        : h(
            "p",
            { class: "muted" },
            `Asks ${checkable.length} ${checkable.length === 1 ? "integration" : "integrations"} now whether ${hire.props.email ?? "the hire"} has an account.`,
          ),
      overview,
    ),
    h(
      "div",
      { class: "card", "data-testid": "offboarding" },
      h("h2", {}, "Offboarding"),
      revocable.length === 0
        ? h("p", { class: "muted" }, "No integration has revoke steps.")
        : h(
            "ul",
            { class: "actions" },
            revocable.map((integration) =>
              h(
                "li",
                {},
                h(
                  "button",
                  { type: "button", class: "danger", onclick: () => void revoke(integration) },
                  `Revoke in ${integration.name}`,
                ),
              ),
            ),
          ),
      h("p", { class: "muted" }, "Revoke runs are listed with the hire's runs below."),
      revokeResult,
    ),
  ];
}
