// @ts-check
// The web UI's entry: asks for the API token once, then routes `#/…` addresses to views. Each view
// renders into <main> and may register clean-ups (timers, pending requests) that run when the
// admin moves on, so a run page left behind stops polling, and checks for unsaved changes: leaving
// a page that has some (another page of the UI, signing out, closing or reloading the tab) asks
// first.

import { clearToken, getToken, setToken, setUnauthorizedHandler } from "./api.js";
import { h, replace } from "./dom.js";
import { hireDetail, hiresList } from "./hires.js";
import { integrationDetail, integrationNew, integrationsList } from "./integrations.js";
import { runDetail, runsList } from "./runs.js";
import { syncView } from "./sync.js";
import { triggerView } from "./trigger.js";

/**
 * What a view gets: where to render, the route's parameters and query, a way to register
 * clean-ups, and one to register a check for unsaved changes (true: leaving loses something).
 * @typedef {{ root: HTMLElement, params: Record<string, string>, query: URLSearchParams, onDispose: (fn: () => void) => void, onLeave: (unsaved: () => boolean) => void }} View
 */

/** Asked before leaving a page with unsaved changes. */
export const LEAVE_QUESTION = "You have unsaved changes. Leave this page and lose them?";

/** @type {Array<[RegExp, string[], (view: View) => void | Promise<void>]>} */
const ROUTES = [
  [/^\/?$/, [], integrationsList],
  [/^\/integrations$/, [], integrationsList],
  [/^\/integrations\/new$/, [], integrationNew],
  [/^\/integrations\/([^/]+)$/, ["id"], integrationDetail],
  [/^\/integrations\/([^/]+)\/sync$/, ["id"], syncView],
  [/^\/hires$/, [], hiresList],
  [/^\/hires\/([^/]+)$/, ["id"], hireDetail],
  [/^\/runs$/, [], runsList],
  [/^\/runs\/new$/, [], triggerView],
  [/^\/runs\/([^/]+)$/, ["id"], runDetail],
];

const main = /** @type {HTMLElement} */ (document.getElementById("app"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
/** @type {Array<() => void>} */
let disposers = [];
/** @type {Array<() => boolean>} */
let unsavedChecks = [];
/** The address of the page shown, to go back to when the admin chooses to stay. */
let shown = location.hash;
/** Bumped per navigation, so a slow view never paints over the page that replaced it. */
let current = 0;

function dispose() {
  for (const fn of disposers) fn();
  disposers = [];
  unsavedChecks = [];
}

/** Whether the page shown has unsaved changes. */
function hasUnsaved() {
  return unsavedChecks.some((check) => check());
}

/** True when the admin may leave: nothing unsaved, or they said so. */
function mayLeave() {
  return !hasUnsaved() || confirm(LEAVE_QUESTION);
}

function renderLogin() {
  dispose();
  nav.hidden = true;
  const input = h("input", {
    type: "password",
    name: "token",
    autocomplete: "off",
    placeholder: "hw_…",
    required: true,
    "aria-label": "API token",
  });
  const remember = h("input", { type: "checkbox", name: "remember" });
  const form = h(
    "form",
    { class: "card login" },
    h("h1", {}, "Sign in to hirewire"),
    h(
      "p",
      {},
      "Paste the admin API token (printed on the service's first start, or HIREWIRE_ADMIN_TOKEN).",
    ),
    h("label", {}, "API token", input),
    h("label", { class: "inline" }, remember, " Remember on this browser"),
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(input.value.trim(), remember.checked);
    void route();
  });
  replace(main, form);
  input.focus();
}

async function route() {
  if (getToken() === null) return renderLogin();
  dispose();
  const mine = ++current;
  nav.hidden = false;
  const hash = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  const [path = "/", search = ""] = hash.split("?");
  for (const link of nav.querySelectorAll("a[data-section]")) {
    const section = link.getAttribute("data-section") ?? "";
    link.classList.toggle(
      "active",
      path.startsWith(`/${section}`) || (path === "/" && section === "integrations"),
    );
  }
  for (const [pattern, names, view] of ROUTES) {
    const match = pattern.exec(path);
    if (match === null) continue;
    /** @type {Record<string, string>} */
    const params = {};
    names.forEach((name, index) => (params[name] = match[index + 1] ?? ""));
    replace(main, h("p", { class: "muted" }, "Loading…"));
    const root = h("section", { class: "view" });
    try {
      await view({
        root,
        params,
        query: new URLSearchParams(search),
        onDispose: (fn) => disposers.push(fn),
        onLeave: (check) => unsavedChecks.push(check),
      });
      if (mine === current) replace(main, root);
    } catch (caught) {
      // A refused token has already sent the admin to the login form.
      if (getToken() === null || mine !== current) return;
      const message = caught instanceof Error ? caught.message : String(caught);
      replace(main, h("div", { class: "error-box", role: "alert" }, message));
    }
    return;
  }
  replace(main, h("p", {}, "Nothing here. ", h("a", { href: "#/integrations" }, "Integrations")));
}

setUnauthorizedHandler(() => {
  clearToken();
  renderLogin();
  const notice = h(
    "p",
    { class: "error-box", role: "alert" },
    "That token was refused; paste a valid one.",
  );
  main.querySelector("form")?.prepend(notice);
});

document.getElementById("logout")?.addEventListener("click", () => {
  if (!mayLeave()) return;
  clearToken();
  renderLogin();
});
window.addEventListener("hashchange", () => {
  // Going back to the page shown after "stay" must not ask or render again.
  if (location.hash === shown) return;
  if (!mayLeave()) {
    history.replaceState(null, "", shown || "#/");
    return;
  }
  shown = location.hash;
  void route();
});
// Closing or reloading the tab: the browser asks with its own words.
window.addEventListener("beforeunload", (event) => {
  if (hasUnsaved()) event.preventDefault();
});
void route();
