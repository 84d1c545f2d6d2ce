// @ts-check
// Entry of the code editor bundle (static/vendor/editor.bundle.js, written by
// scripts/bundle-editor.js): the editor, with the manifest's JSON Schema built in.
import schema from "../../../../schema/manifest.schema.json";
import { createCodeEditor } from "./code-editor.js";

/**
 * The manifest editor: a code editor that knows the manifest's JSON Schema.
 * @param {Omit<import("./code-editor.js").Options, "schema">} options
 */
export function createManifestCodeEditor(options) {
  return createCodeEditor({ ...options, schema });
}
