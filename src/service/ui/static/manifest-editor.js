// @ts-check
// The manifest editor: a code editor (CodeMirror, bundled in vendor/editor.bundle.js) with JSON
// highlighting, completion and hover help from the manifest's JSON Schema, checked as the admin
// types. JSON syntax is checked here at once; the manifest itself by the server
// (POST /api/manifests/validate) once typing pauses, so the UI never carries its own copy of the
// rules. Each problem is squiggled at its place and listed with its path and line; clicking it
// selects that place. Without the bundle (not built) it falls back to a plain text area.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { locate, locateAll, syntaxErrorLine, syntaxErrorOffset } from "./json-locate.js";

/** Long enough to skip the keystrokes of a word, short enough to feel live. */
const DEBOUNCE_MS = 300;

/** A variable, so the type-checker does not look for the (generated, untracked) file. */
const BUNDLE = "./vendor/editor.bundle.js";

/**
 * @typedef {{ path: string, message: string, severity?: string }} Problem
 * @typedef {import("../editor/code-editor.js").CodeEditor} CodeEditor
 * @typedef {import("../editor/code-editor.js").Problem} Diagnostic
 * @typedef {typeof import("../editor/entry.js")} Bundle
 * @typedef {{ element: HTMLElement, text: () => string, parsed: () => unknown, isDirty: () => boolean, markSaved: (text?: string) => void, dispose: () => void }} Editor
 */

/** @type {Promise<Bundle> | undefined} */
let bundle;
/** The code editor's module, loaded once, when the first editor is shown. */
function loadBundle() {
  bundle ??= /** @type {Promise<Bundle>} */ (import(new URL(BUNDLE, import.meta.url).href));
  return bundle;
}

/**
 * Where a problem is squiggled: its key and value, or only their first line when they span more
 * (a whole step would otherwise be underlined).
 * @param {string} text
 * @param {{ start: number, end: number }} span
 */
function squiggle(text, span) {
  const newline = text.indexOf("\n", span.start);
  return { from: span.start, to: newline === -1 || newline > span.end ? span.end : newline };
}

/**
 * @param {string} initial the manifest text shown first
 * @returns {Editor}
 */
export function manifestEditor(initial) {
  // Shown at once and kept if the bundle cannot load; replaced by the code editor when it has.
  const textarea = h("textarea", {
    class: "manifest-text",
    spellcheck: "false",
    "aria-label": "Manifest JSON",
    "data-testid": "manifest-editor",
  });
  textarea.value = initial;
  const host = h("div", { class: "code-host" }, textarea);
  const notice = h("p", { class: "editor-notice", hidden: true, role: "status" });
  const status = h("div", { class: "validation-status", "data-testid": "validation-status" });
  const unsaved = h("span", { class: "unsaved-mark", hidden: true }, "unsaved changes");
  const list = h("ul", { class: "problems", "data-testid": "problems" });
  /** @type {CodeEditor | undefined} */
  let code;
  let saved = initial;
  let disposed = false;
  let timer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);
  let controller = /** @type {AbortController | undefined} */ (undefined);
  let generation = 0;

  const text = () => (code !== undefined ? code.text() : textarea.value);
  /** @param {number} from @param {number} to */
  const select = (from, to) => {
    if (code !== undefined) return code.select(from, to);
    textarea.focus();
    textarea.setSelectionRange(from, to);
  };
  /** @param {Diagnostic[]} diagnostics */
  const squiggles = (diagnostics) => code?.setProblems(diagnostics);

  /** @param {string} source @param {Problem[]} problems @param {Problem[]} warnings */
  const show = (source, problems, warnings) => {
    const spans = locateAll(source);
    /** @type {Diagnostic[]} */
    const diagnostics = [];
    const item = (/** @type {Problem} */ problem, /** @type {"error" | "warning"} */ kind) => {
      const span = locate(spans, problem.path);
      if (span !== undefined) {
        const sentence =
          problem.path === "" ? problem.message : `${problem.path} ${problem.message}`;
        diagnostics.push({ ...squiggle(source, span), severity: kind, message: sentence });
      }
      return h(
        "li",
        {
          class: `problem ${kind}`,
          tabindex: 0,
          title: "select this place in the manifest",
          onclick: () => {
            if (span !== undefined) select(span.start, span.end);
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
    squiggles(diagnostics);
  };

  /** @param {string} message @param {string} kind */
  const setStatus = (message, kind) => {
    status.textContent = message;
    status.dataset.state = kind;
  };

  const validate = async () => {
    const mine = ++generation;
    controller?.abort();
    const source = text();
    let manifest;
    try {
      manifest = JSON.parse(source);
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      const line = syntaxErrorLine(source, message);
      const at = syntaxErrorOffset(source, message);
      setStatus("Not valid JSON", "invalid");
      squiggles([{ from: at, to: Math.min(at + 1, source.length), severity: "error", message }]);
      replace(
        list,
        h(
          "li",
          { class: "problem error", onclick: () => select(at, at) },
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
      if (mine !== generation || source !== text()) return;
      const count = result.problems.length;
      setStatus(
        result.valid ? "Valid manifest" : `${count} problem${count === 1 ? "" : "s"}`,
        result.valid ? "valid" : "invalid",
      );
      show(source, result.problems, result.warnings);
    } catch (caught) {
      if (mine !== generation || (caught instanceof DOMException && caught.name === "AbortError"))
        return;
      setStatus(`Could not check: ${caught instanceof Error ? caught.message : caught}`, "error");
    }
  };

  const changed = () => {
    unsaved.hidden = text() === saved;
    clearTimeout(timer);
    setStatus("Typing…", "checking");
    timer = setTimeout(validate, DEBOUNCE_MS);
  };

  textarea.addEventListener("input", changed);
  // Tab indents instead of leaving the field: this is a code editor.
  textarea.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey) return;
    event.preventDefault();
    textarea.setRangeText("  ", textarea.selectionStart, textarea.selectionEnd, "end");
    textarea.dispatchEvent(new Event("input"));
  });

  loadBundle().then(
    ({ createManifestCodeEditor }) => {
      if (disposed) return;
      const current = textarea.value;
      replace(host);
      code = createManifestCodeEditor({
        parent: host,
        doc: current,
        label: "Manifest JSON",
        testId: "manifest-editor",
        onChange: changed,
      });
      host.dataset.ready = "true";
      void validate();
    },
    (/** @type {unknown} */ caught) => {
      notice.hidden = false;
      notice.textContent = `The code editor did not load (${
        caught instanceof Error ? caught.message : caught
      }); editing as plain text. Run \`npm run build\` on the server to build it.`;
    },
  );
  void validate();

  return {
    element: h(
      "div",
      { class: "manifest-editor" },
      notice,
      host,
      h("div", { class: "row status-row" }, status, unsaved),
      list,
    ),
    text,
    parsed: () => JSON.parse(text()),
    isDirty: () => text() !== saved,
    markSaved: (as = text()) => {
      saved = as;
      unsaved.hidden = text() === saved;
    },
    dispose: () => {
      disposed = true;
      clearTimeout(timer);
      controller?.abort();
      code?.destroy();
    },
  };
}
