// @ts-check
// The manifest editor: a JSON text area that is checked as the admin types. JSON syntax is checked
// here at once; the manifest itself by the server (POST /api/manifests/validate) once typing
// pauses, so the UI never carries its own copy of the rules. Each problem names its path and line;
// clicking it selects that place in the text.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { locate, locateAll, syntaxErrorLine } from "./json-locate.js";

/** Long enough to skip the keystrokes of a word, short enough to feel live. */
const DEBOUNCE_MS = 300;

/**
 * @typedef {{ path: string, message: string, severity?: string }} Problem
 * @typedef {{ element: HTMLElement, text: () => string, parsed: () => unknown, dispose: () => void }} Editor
 */

/**
 * @param {string} initial the manifest text shown first
 * @returns {Editor}
 */
export function manifestEditor(initial) {
  const textarea = h("textarea", {
    class: "manifest-text",
    spellcheck: "false",
    "aria-label": "Manifest JSON",
    "data-testid": "manifest-editor",
  });
  textarea.value = initial;
  const status = h("div", { class: "validation-status", "data-testid": "validation-status" });
  const list = h("ul", { class: "problems", "data-testid": "problems" });
  let timer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);
  let controller = /** @type {AbortController | undefined} */ (undefined);
  let generation = 0;

  /** @param {Problem[]} problems @param {Problem[]} warnings */
  const show = (problems, warnings) => {
    const spans = locateAll(textarea.value);
    const item = (/** @type {Problem} */ problem, /** @type {string} */ kind) => {
      const span = locate(spans, problem.path);
      return h(
        "li",
        {
          class: `problem ${kind}`,
          tabindex: 0,
          title: "select this place in the manifest",
          onclick: () => {
            if (span === undefined) return;
            textarea.focus();
            textarea.setSelectionRange(span.start, span.end);
          },
        },
        h("code", { class: "problem-path" }, problem.path || "(manifest)"),
        span !== undefined ? h("span", { class: "muted" }, ` line ${span.line}`) : null,
        " ",
        h("span", { class: "problem-message" }, problem.message),
      );
    };
    replace(
      list,
      problems.map((problem) => item(problem, "error")),
      warnings.map((warning) => item(warning, "warning")),
    );
  };

  /** @param {string} text @param {string} kind */
  const setStatus = (text, kind) => {
    status.textContent = text;
    status.dataset.state = kind;
  };

  const validate = async () => {
    const mine = ++generation;
    controller?.abort();
    let manifest;
    try {
      manifest = JSON.parse(textarea.value);
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      const line = syntaxErrorLine(textarea.value, message);
      setStatus("Not valid JSON", "invalid");
      replace(
        list,
        h(
          "li",
          { class: "problem error" },
          h("code", { class: "problem-path" }, "JSON"),
          line !== undefined ? h("span", { class: "muted" }, ` line ${line}`) : null,
          " ",
          h("span", { class: "problem-message" }, message),
        ),
      );
      return;
    }
    controller = new AbortController();
    setStatus("Checking…", "checking");
    try {
      const result = await api("POST", "/api/manifests/validate", manifest, {
        signal: controller.signal,
      });
      // A slower answer to an older text must not overwrite the newer one.
      if (mine !== generation) return;
      const count = result.problems.length;
      setStatus(
        result.valid ? "Valid manifest" : `${count} problem${count === 1 ? "" : "s"}`,
        result.valid ? "valid" : "invalid",
      );
      show(result.problems, result.warnings);
    } catch (caught) {
      if (mine !== generation || (caught instanceof DOMException && caught.name === "AbortError"))
        return;
      setStatus(`Could not check: ${caught instanceof Error ? caught.message : caught}`, "error");
    }
  };

  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    setStatus("Typing…", "checking");
    timer = setTimeout(validate, DEBOUNCE_MS);
  });
  // Tab indents instead of leaving the field: this is a code editor.
  textarea.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey) return;
    event.preventDefault();
    textarea.setRangeText("  ", textarea.selectionStart, textarea.selectionEnd, "end");
    textarea.dispatchEvent(new Event("input"));
  });
  void validate();

  return {
    element: h("div", { class: "manifest-editor" }, textarea, status, list),
    text: () => textarea.value,
    parsed: () => JSON.parse(textarea.value),
    dispose: () => {
      clearTimeout(timer);
      controller?.abort();
    },
  };
}
