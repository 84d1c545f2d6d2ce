// @ts-check
// Hire pages: the list with a form to add a hire, and one hire with its props (editable), the
// fields runs stored for it (set, correct or delete one), its runs, and deleting the hire, which
// erases their data (the runs keep only their skeleton).

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
      if (extra.value.trim() !== "") Object.assign(props, otherProps(extra.value));
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

/**
 * The "Other props" box: a JSON object, or an error that names the box and shows the shape.
 * @param {string} text
 * @returns {Record<string, unknown>}
 */
function otherProps(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new Error('Other props must be a JSON object, like {"department": "Sales"}.');
  return value;
}

/**
 * A value typed by a person: JSON when it parses (42, true, {"a": 1}), else the text itself.
 * @param {string} text
 */
function typedValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The props card: a table, and a form to edit them (standard props as fields, others as JSON).
 * @param {any} hire
 * @param {() => void} reload
 */
function propsCard(hire, reload) {
  const props = /** @type {Record<string, unknown>} */ (hire.props);
  const standard = ["email", "first_name", "last_name", "start"];
  const labels = ["Email", "First name", "Last name", "Start date"];
  const types = ["email", "text", "text", "date"];
  const others = Object.fromEntries(
    Object.entries(props).filter(([name]) => !standard.includes(name)),
  );
  const extra = h("textarea", { name: "extra", rows: 4 });
  extra.value = Object.keys(others).length > 0 ? JSON.stringify(others, null, 2) : "";
  const result = h("div", { class: "result" });
  const form = h(
    "form",
    { class: "edit-props", "data-testid": "edit-props", hidden: true },
    h(
      "div",
      { class: "grid" },
      standard.map((name, index) => {
        const input = h("input", {
          name,
          type: types[index],
          ...(name === "email" ? { required: true } : {}),
        });
        input.value = typeof props[name] === "string" ? String(props[name]) : "";
        return h("label", {}, labels[index], input);
      }),
    ),
    h("label", {}, "Other props (JSON object)", extra),
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit" }, "Save props"),
      h("button", { type: "button", class: "link", onclick: () => toggle(false) }, "Cancel"),
    ),
    result,
  );
  const table = h(
    "table",
    { class: "list", "data-testid": "props" },
    h(
      "tbody",
      {},
      Object.entries(props).map(([name, value]) =>
        h("tr", {}, h("th", {}, name), h("td", {}, h("code", {}, pretty(value)))),
      ),
    ),
  );
  const editButton = h("button", { type: "button", onclick: () => toggle(true) }, "Edit props");
  /** @param {boolean} editing */
  const toggle = (editing) => {
    form.hidden = !editing;
    table.hidden = editing;
    editButton.hidden = editing;
    if (editing) /** @type {HTMLInputElement} */ (form.elements.namedItem("email")).focus();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    /** @type {Record<string, unknown>} */
    const next = {};
    try {
      if (extra.value.trim() !== "") Object.assign(next, otherProps(extra.value));
    } catch (caught) {
      replace(result, errorBox({ message: /** @type {Error} */ (caught).message }));
      return;
    }
    for (const [name, value] of new FormData(form)) {
      if (name !== "extra" && typeof value === "string" && value !== "") next[name] = value;
    }
    try {
      await api("PUT", `/api/hires/${encodeURIComponent(hire.id)}`, next);
      reload();
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  });
  return h(
    "div",
    { class: "card" },
    h("div", { class: "card-head" }, h("h2", {}, "Props"), editButton),
    table,
    form,
  );
}

/**
 * The stored-fields card: the fields with Edit and Delete, and a form to set one.
 * @param {any} hire
 * @param {() => void} reload
 */
function storedCard(hire, reload) {
  const base = `/api/hires/${encodeURIComponent(hire.id)}/stored/`;
  const stored = Object.entries(/** @type {Record<string, any>} */ (hire.stored));
  const result = h("div", { class: "result" });
  const name = h("input", { name: "name", required: true, placeholder: "SLACK_USER_ID" });
  const value = h("textarea", {
    name: "value",
    rows: 2,
    placeholder: 'a JSON value (42, true, {"a": 1}) or plain text',
  });
  const secret = h("input", { name: "secret", type: "checkbox" });
  const form = h(
    "form",
    { class: "set-field", "data-testid": "set-field" },
    h("h3", {}, "Set a field"),
    h("div", { class: "grid" }, h("label", {}, "Name", name), h("label", {}, "Value", value)),
    h(
      "label",
      { class: "inline" },
      secret,
      " Secret: encrypted, never shown again, sent as is by runs",
    ),
    h("button", { type: "submit" }, "Save field"),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("PUT", base + encodeURIComponent(name.value.trim()), {
        value: typedValue(value.value),
        ...(secret.checked ? { secret: true } : {}),
      });
      reload();
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  });
  /** @param {string} field @param {any} entry */
  const edit = (field, entry) => {
    name.value = field;
    // A secret's value is never sent to the browser: the admin types a new one.
    value.value =
      entry.secret === true
        ? ""
        : typeof entry.value === "string"
          ? entry.value
          : JSON.stringify(entry.value);
    secret.checked = entry.secret === true;
    value.focus();
  };
  /** @param {string} field */
  const remove = async (field) => {
    if (!confirm(`Delete the stored field “${field}”? Later runs will no longer see it.`)) return;
    try {
      await api("DELETE", base + encodeURIComponent(field));
      reload();
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
    }
  };
  return h(
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
              h("th", {}, h("span", { class: "visually-hidden" }, "Actions")),
            ),
          ),
          h(
            "tbody",
            {},
            stored.map(([field, entry]) =>
              h(
                "tr",
                { "data-field": field },
                h("th", {}, field),
                h(
                  "td",
                  {},
                  h("code", {}, pretty(entry.value)),
                  // A secret field is only ever shown masked; runs still send its real value.
                  entry.secret === true &&
                    h(
                      "span",
                      {
                        class: "badge muted",
                        title: "holds a secret: encrypted at rest, shown masked",
                      },
                      "secret",
                    ),
                ),
                h("td", {}, time(entry.updated_at)),
                h(
                  "td",
                  {},
                  entry.run_id !== null
                    ? h("a", { href: `#/runs/${entry.run_id}` }, entry.run_id)
                    : "API",
                ),
                h(
                  "td",
                  { class: "actions" },
                  h(
                    "button",
                    { type: "button", class: "link", onclick: () => edit(field, entry) },
                    "Edit",
                  ),
                  h(
                    "button",
                    { type: "button", class: "link danger", onclick: () => remove(field) },
                    "Delete",
                  ),
                ),
              ),
            ),
          ),
        ),
    form,
  );
}

/** @param {View} view */
export async function hireDetail(view) {
  const { root, params } = view;
  const id = encodeURIComponent(params.id ?? "");
  const [hire, runs, integrations] = await Promise.all([
    api("GET", `/api/hires/${id}`),
    api("GET", `/api/runs?hire_id=${id}&limit=20`),
    api("GET", "/api/integrations?limit=500"),
  ]);
  /** @type {Record<string, string>} */
  const names = { [hire.id]: hire.props.email };
  for (const integration of integrations.items) names[integration.id] = integration.name;
  const reload = () => void hireDetail(view);
  const notice = h("div", { class: "result" });
  const who = fullName(hire.props) || hire.props.email;
  const remove = async () => {
    const count = runs.items.length;
    const question =
      `Delete ${who} (${hire.props.email}) and erase their data?\n\n` +
      "Their props and stored fields are deleted" +
      (count > 0
        ? `, and their ${count === 1 ? "run keeps" : `${count}${runs.next_cursor !== null ? "+" : ""} runs keep`} only status, times and codes`
        : "") +
      ". This cannot be undone.";
    if (!confirm(question)) return;
    try {
      await api("DELETE", `/api/hires/${id}`);
      location.hash = "#/hires";
    } catch (caught) {
      replace(notice, errorBox(/** @type {any} */ (caught)));
    }
  };
  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h("h1", {}, who),
      h(
        "div",
        { class: "row" },
        h("a", { class: "button", href: `#/runs/new?hire=${hire.id}` }, "Trigger a run"),
        h("button", { type: "button", class: "danger", onclick: remove }, "Delete hire"),
      ),
    ),
    h("p", { class: "muted" }, h("code", {}, hire.id), " · created ", time(hire.created_at)),
    notice,
    propsCard(hire, reload),
    storedCard(hire, reload),
    hireAccessCards(hire, integrations.items),
    h("div", { class: "card" }, h("h2", {}, "Runs"), runsTable(runs.items, names)),
  );
}
