// Turns a name a manifest (or a run id) gave into one safe path segment, so no name can reach
// outside its run's folder or collide with another name after cleaning.
import { createHash } from "node:crypto";

const MAX_SEGMENT_BYTES = 180;
// Separators, NUL and control characters are what could escape the folder or confuse tools.

const UNSAFE = /[/\\\u0000-\u001f\u007f]/g;

/**
 * Returns `name` when it is already a safe single path segment; otherwise a cleaned version with a
 * short hash of the original appended, so two different names never map to the same file.
 */
export function safeSegment(name: string): string {
  let cleaned = name.replace(UNSAFE, "_");
  if (cleaned === "" || cleaned === "." || cleaned === "..") cleaned = "_";
  if (Buffer.byteLength(cleaned) > MAX_SEGMENT_BYTES) {
    cleaned = Buffer.from(cleaned).subarray(0, MAX_SEGMENT_BYTES).toString("utf8");
    // A cut may split a multi-byte character into U+FFFD; drop it so the name stays readable.
    cleaned = cleaned.replace(/\uFFFD+$/, "");
  }
  if (cleaned === name) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `${cleaned}-${hash}`;
}
