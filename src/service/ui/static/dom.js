// @ts-check
// Building the page without innerHTML: every value shown (names, response bodies from third-party
// APIs) becomes a text node, so nothing the API returns can ever be read as markup.

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {Child | Child[] | Array<Child | Child[]>} Nested
 * @typedef {Nested | Array<Nested>} Children arrays nest (up to four deep) and are flattened

 * @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Attrs
 */

/**
 * Creates an element. Attributes starting with `on` are listeners; `true` sets a boolean
 * attribute, `false`/null/undefined leave it out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/**
 * Appends children (nested arrays flattened; strings and numbers become text nodes).
 * @param {Node} parent
 * @param {Children[]} children
 */
export function append(parent, children) {
  for (const child of /** @type {Child[]} */ (children.flat(Infinity))) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's content.
 * @param {Element} element
 * @param {...Children} children
 */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/**
 * A timestamp in the reader's locale, with the ISO text as a tooltip.
 * @param {string | null | undefined} iso
 */
export function time(iso) {
  if (iso === null || iso === undefined) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: iso }, new Date(iso).toLocaleString());
}

/**
 * Pretty JSON when the text is JSON, the text itself otherwise.
 * @param {unknown} value
 */
export function pretty(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? "";
}

/**
 * A run status as a coloured badge.
 * @param {string} status
 */
export function statusBadge(status) {
  return h("span", { class: `badge status-${status}`, "data-status": status }, status);
}

/**
 * A message box for an API error, listing its problems with their paths.
 * @param {{ message: string, code?: string, problems?: Array<{ path: string, message: string }> }} error
 */
export function errorBox(error) {
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("strong", {}, error.code ?? "Error"),
    " ",
    error.message,
    error.problems !== undefined && error.problems.length > 0
      ? h(
          "ul",
          { class: "problems" },
          error.problems.map((problem) =>
            h("li", {}, h("code", {}, problem.path || "(root)"), " ", problem.message),
          ),
        )
      : null,
  );
}
