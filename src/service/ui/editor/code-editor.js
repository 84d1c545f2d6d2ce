// @ts-check
// The web UI's JSON code editor (CodeMirror 6): syntax highlighting, key and value completion and
// hover help from the manifest's JSON Schema, and the validator's problems as inline diagnostics.
// Bundled with CodeMirror into static/vendor/editor.bundle.js by scripts/bundle-editor.js;
// static/manifest-editor.js loads it and feeds it the server's problems.
//
// The editor is mounted in a shadow root: CodeMirror styles itself with generated CSS, which it
// puts in a <style> element in a document (refused by the UI's CSP, `style-src 'self'`) but in a
// constructed style sheet in a shadow root (not an inline style, so allowed). Our own look for
// it is therefore a CodeMirror theme here, not rules in style.css.

import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import {
  bracketMatching,
  defaultHighlightStyle,
  HighlightStyle,
  foldGutter,
  foldKeymap,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  hoverTooltip,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { completionContext, keyAt, presentKeys } from "./json-context.ts";
import { describeKey, keysAt, valuesAt } from "./schema-assist.ts";

/**
 * @typedef {import("./schema-assist.ts").Schema} Schema
 * @typedef {import("@codemirror/autocomplete").Completion} Completion
 * @typedef {import("@codemirror/autocomplete").CompletionContext} CmCompletionContext
 * @typedef {{ from: number, to: number, severity: "error" | "warning", message: string, source?: string }} Problem
 * @typedef {{
 *   parent: HTMLElement,
 *   doc: string,
 *   schema: Schema,
 *   label: string,
 *   testId?: string,
 *   onChange?: () => void,
 * }} Options
 * @typedef {{
 *   text: () => string,
 *   setText: (text: string) => void,
 *   setProblems: (problems: Problem[]) => void,
 *   select: (from: number, to: number) => void,
 *   destroy: () => void,
 * }} CodeEditor
 */

/**
 * Replaces from–to with `insert` and puts the cursor at its end (or `cursorBack` before it).
 * @param {string} insert
 * @param {number} from
 * @param {number} to
 * @param {number} [cursorBack]
 * @returns {(view: EditorView) => void}
 */
function replaceWith(insert, from, to, cursorBack = 0) {
  return (view) =>
    view.dispatch({
      changes: { from, to, insert },
      selection: { anchor: from + insert.length - cursorBack },
      userEvent: "input.complete",
    });
}

/**
 * A help box: the key's type, then its description.
 * @param {string} type
 * @param {string} description
 * @param {boolean} deprecated
 */
function helpNode(type, description, deprecated) {
  const box = document.createElement("div");
  box.className = "cm-key-help";
  const kind = document.createElement("div");
  kind.className = "cm-key-help-type";
  kind.textContent = deprecated ? `${type} · deprecated` : type;
  const text = document.createElement("div");
  text.className = "cm-key-help-text";
  text.textContent = description || "No description.";
  box.append(kind, text);
  return box;
}

/**
 * Completion of keys and of enumerated values from the schema.
 * @param {Schema} schema
 * @returns {(context: CmCompletionContext) => import("@codemirror/autocomplete").CompletionResult | null}
 */
function schemaCompletion(schema) {
  return (context) => {
    const text = context.state.doc.toString();
    const where = completionContext(text, context.pos);
    if (where === undefined) return null;
    // Nothing typed yet: only when asked (Ctrl-Space), not after every comma.
    if (where.from === where.to && !context.explicit) return null;
    const present = presentKeys(text);
    if (where.kind === "key") {
      const start = where.quoted ? where.from + 1 : where.from;
      /** @type {Completion[]} */
      const options = keysAt(schema, where.path, present).map((key) => ({
        label: key.label,
        detail: key.type,
        type: "property",
        boost: key.deprecated ? -50 : key.type.endsWith("required") ? 10 : 0,
        info: () => helpNode(key.type, key.description, key.deprecated),
        apply: (view) =>
          replaceWith(`"${key.label}"${where.colon ? "" : ": "}`, where.from, where.to)(view),
      }));
      return { from: start, to: context.pos, options, validFor: /^[A-Za-z0-9_$]*$/ };
    }
    const options = valuesAt(schema, where.path, present).map((value) => ({
      label: value.insert,
      type: "constant",
      info: value.description || undefined,
      apply: (/** @type {EditorView} */ view) =>
        replaceWith(value.insert, where.from, where.to)(view),
    }));
    return options.length === 0 ? null : { from: where.from, to: context.pos, options };
  };
}

/**
 * Hover help over a key: its type and description from the schema.
 * @param {Schema} schema
 */
function schemaHover(schema) {
  return hoverTooltip((view, pos) => {
    const text = view.state.doc.toString();
    const key = keyAt(text, pos);
    if (key === undefined) return null;
    const info = describeKey(schema, key.path, presentKeys(text));
    if (info === undefined) return null;
    return {
      pos: key.from,
      end: key.to,
      above: true,
      create: () => ({ dom: helpNode(info.type, info.description, info.deprecated) }),
    };
  });
}

/** The UI's look for the editor; the page's CSS variables reach into the shadow root. */
const LOOK = EditorView.theme({
  "&": {
    height: "26rem",
    minHeight: "12rem",
    maxHeight: "75vh",
    resize: "vertical",
    overflow: "hidden",
    border: "1px solid var(--line, #dde2ea)",
    borderRadius: "6px",
    background: "#fff",
    fontSize: "13px",
  },
  "&.cm-focused": { outline: "2px solid #b8cbf5" },
  ".cm-scroller": { fontFamily: "var(--mono, monospace)", lineHeight: "1.5" },
  ".cm-gutters": {
    background: "#f7f8fb",
    borderRight: "1px solid var(--line, #dde2ea)",
    color: "#98a2b3",
  },
  ".cm-key-help": { maxWidth: "28rem", padding: "0.35rem 0.55rem", whiteSpace: "normal" },
  ".cm-key-help-type": {
    fontFamily: "var(--mono, monospace)",
    fontSize: "12px",
    color: "var(--muted, #667085)",
    marginBottom: "0.15rem",
  },
  ".cm-tooltip": { fontSize: "13px", lineHeight: "1.4" },
  ".cm-completionDetail": { marginLeft: "0.8em" },
});

/** Keys stand out from string values (the default style colours neither). */
const KEYS = HighlightStyle.define([{ tag: tags.propertyName, color: "#7a2e8e" }]);

/**
 * Mounts the editor in a shadow root of `parent` (an element without one yet).
 * @param {Options} options
 * @returns {CodeEditor}
 */
export function createCodeEditor(options) {
  const root = options.parent.attachShadow({ mode: "open" });
  const view = new EditorView({
    parent: root,
    root,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        foldGutter(),
        lintGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        syntaxHighlighting(KEYS),
        syntaxHighlighting(defaultHighlightStyle),
        json(),
        LOOK,
        EditorState.tabSize.of(2),
        autocompletion({ override: [schemaCompletion(options.schema)], icons: false }),
        schemaHover(options.schema),
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...searchKeymap,
          ...historyKeymap,
          ...foldKeymap,
          ...completionKeymap,
          indentWithTab,
        ]),
        EditorView.contentAttributes.of({
          "aria-label": options.label,
          ...(options.testId === undefined ? {} : { "data-testid": options.testId }),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange?.();
        }),
      ],
    }),
  });
  const clamp = (/** @type {number} */ at) => Math.max(0, Math.min(at, view.state.doc.length));
  return {
    text: () => view.state.doc.toString(),
    setText: (text) =>
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    setProblems: (problems) =>
      view.dispatch(
        setDiagnostics(
          view.state,
          problems.map((problem) => ({
            ...problem,
            from: clamp(problem.from),
            to: clamp(problem.to),
          })),
        ),
      ),
    select: (from, to) => {
      view.dispatch({ selection: { anchor: clamp(from), head: clamp(to) }, scrollIntoView: true });
      view.focus();
    },
    destroy: () => view.destroy(),
  };
}
