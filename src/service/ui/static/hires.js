// @ts-check
// Hire pages: the list with a form to add a hire, and one hire with its props, the fields runs
// stored for it, and its runs.

import { hireAccessCards } from "./access.js";
import { api } from "./api.js";
import { errorBox, h, pretty, replace, time } from "./dom.js";
import { runsTable } from "./runs.js";

/** @typedef {import("./app.js").View} View */

/** @param {Record<string, unknown>} props */
function fullName(props) {
  return [props.first_name, props.last_name].filter((part) => typeof part === "string").join(" ");
}

/** @param {View} view */
export async function hiresList({ root, query }) {
  const email = query.get("email") ?? "";
  const { items } = await api(
    "GET",
    `/api/hires?limit=100${email !== "" ? `&email=${encodeURIComponent(email)}` : ""}`,
  );
  const field = (/** @type {string} */ name, /** @type {string} */ label, type = "text") =>
    h(
      "label",
      {},
      label,
      h("input", { name, type, ...(name === "email" ? { required: true } : {}) }),
    );
  const extra = h("textarea", {
    name: "extra",
    rows: 3,
    placeholder: '{"department": "Engineering", "employee_no": 42}',
  });
  const result = h("div", { class: "result" });
  const form = h(
    "form",
    { class: "card", "data-testid": "new-hire" },
    h("h2", {}, "New hire"),
    h(
      "div",
      { class: "grid" },
      field("email", "Email", "email"),
      field("first_name", "First name"),
      field("last_name", "Last name"),
      field("start", "Start date", "date"),
    ),
    h("label", {}, "Other props (JSON object, optional)", extra),
    h("button", { type: "submit" }, "Create hire"),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    /** @type {Record<string, unknown>} */
    const props = {};
    for (const [name, value] of new FormData(form)) {
      if (name !== "extra" && typeof value === "string" && value !== "") props[name] = value;
    }
    try {
      if (extra.value.trim() !== "") Object.assign(props, JSON.parse(extra.value));
      const created = await api("POST", "/api/hires", props);
      location.hash = `#/hires/${created.hire.id}`;
    } catch (caught) {
      const error = /** @type {any} */ (caught);
      replace(
        result,
        errorBox({ code: error.code, message: error.message, problems: error.problems }),
      );
    }
  });

  replace(
    root,
    h("div", { class: "view-head" }, h("h1", {}, "Hires")),
    items.length === 0
      ? h("p", { class: "muted" }, "No hires yet.")
      : h(
          "table",
          { class: "list", "data-testid": "hires" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, "Email"),
              h("th", {}, "Name"),
              h("th", {}, "Start"),
              h("th", {}, "Created"),
            ),
          ),
          h(
            "tbody",
            {},
            items.map((/** @type {any} */ hire) =>
              h(
                "tr",
                {},
                h("td", {}, h("a", { href: `#/hires/${hire.id}` }, hire.props.email)),
                h("td", {}, fullName(hire.props)),
                h("td", {}, hire.props.start ?? ""),
                h("td", {}, time(hire.created_at)),
              ),
            ),
          ),
        ),
    form,
  );
}

/** @param {View} view */
export async function hireDetail({ root, params }) {
  const id = encodeURIComponent(params.id ?? "");
  const [hire, runs, integrations] = await Promise.all([
    api("GET", `/api/hires/${id}`),
    api("GET", `/api/runs?hire_id=${id}&limit=20`),
    api("GET", "/api/integrations?limit=500"),
  ]);
  /** @type {Record<string, string>} */
  const names = { [hire.id]: hire.props.email };
  for (const integration of integrations.items) names[integration.id] = integration.name;
  const props = Object.entries(/** @type {Record<string, unknown>} */ (hire.props));
  const stored = Object.entries(/** @type {Record<string, any>} */ (hire.stored));
  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h("h1", {}, fullName(hire.props) || hire.props.email),
      h("a", { class: "button", href: `#/runs/new?hire=${hire.id}` }, "Trigger a run"),
    ),
    h("p", { class: "muted" }, h("code", {}, hire.id), " · created ", time(hire.created_at)),
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Props"),
      h(
        "table",
        { class: "list", "data-testid": "props" },
        h(
          "tbody",
          {},
          props.map(([name, value]) =>
            h("tr", {}, h("th", {}, name), h("td", {}, h("code", {}, pretty(value)))),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Stored fields"),
      stored.length === 0
        ? h("p", { class: "muted" }, "Nothing stored yet: runs store values with store_data.")
        : h(
            "table",
            { class: "list", "data-testid": "stored" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, "Name"),
                h("th", {}, "Value"),
                h("th", {}, "Updated"),
                h("th", {}, "Written by"),
              ),
            ),
            h(
              "tbody",
              {},
              stored.map(([name, field]) =>
                h(
                  "tr",
                  {},
                  h("th", {}, name),
                  h(
                    "td",
                    {},
                    h("code", {}, pretty(field.value)),
                    // A secret field is only ever shown masked; runs still send its real value.
                    field.secret === true &&
                      h(
                        "span",
                        {
                          class: "badge muted",
                          title: "holds a secret: encrypted at rest, shown masked",
                        },
                        "secret",
                      ),
                  ),
                  h("td", {}, time(field.updated_at)),
                  h(
                    "td",
                    {},
                    field.run_id !== null
                      ? h("a", { href: `#/runs/${field.run_id}` }, field.run_id)
                      : "API",
                  ),
                ),
              ),
            ),
          ),
    ),
    hireAccessCards(hire, integrations.items),
    h("div", { class: "card" }, h("h2", {}, "Runs"), runsTable(runs.items, names)),
  );
}
