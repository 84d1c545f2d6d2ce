// @ts-check
// Where a manifest path (`execute[1].polling.amount`, `headers["X-Api-Key"]`) sits in the editor's
// JSON text, so a problem can name its line and a click can select it. Paths are formatted the way
// the server formats them (src/manifest/path.ts); a path to something absent (a missing key)
// falls back to its nearest ancestor that is present.

const IDENTIFIER_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * @typedef {{ start: number, end: number, line: number }} Span
 */

/**
 * @param {string} base
 * @param {string | number} segment
 */
function child(base, segment) {
  if (typeof segment === "number") return `${base}[${segment}]`;
  if (IDENTIFIER_KEY.test(segment)) return base === "" ? segment : `${base}.${segment}`;
  return `${base}[${JSON.stringify(segment)}]`;
}

/**
 * Spans of every value in `text` by path; empty when the text is not JSON.
 * @param {string} text
 * @returns {Map<string, Span>}
 */
export function locateAll(text) {
  /** @type {Map<string, Span>} */
  const spans = new Map();
  let at = 0;
  const skip = () => {
    while (at < text.length && /\s/.test(text.charAt(at))) at += 1;
  };
  const string = () => {
    const start = at;
    at += 1;
    while (at < text.length && text.charAt(at) !== '"') at += text.charAt(at) === "\\" ? 2 : 1;
    at += 1;
    return /** @type {string} */ (JSON.parse(text.slice(start, at)));
  };
  /** @param {string} path @param {number} [keyStart] */
  const value = (path, keyStart) => {
    skip();
    const start = at;
    const open = text.charAt(at);
    if (open === "{" || open === "[") {
      at += 1;
      let index = 0;
      for (skip(); text.charAt(at) !== (open === "{" ? "}" : "]"); skip()) {
        if (at >= text.length) throw new Error("unterminated");
        if (open === "{") {
          skip();
          const nameStart = at;
          const name = string();
          skip();
          at += 1; // the colon
          value(child(path, name), nameStart);
        } else value(child(path, index++));
        skip();
        if (text.charAt(at) === ",") at += 1;
      }
      at += 1;
    } else if (open === '"') string();
    else while (at < text.length && /[^\s,\]}]/.test(text.charAt(at))) at += 1;
    const from = keyStart ?? start;
    spans.set(path, { start: from, end: at, line: text.slice(0, from).split("\n").length });
  };
  try {
    value("");
  } catch {
    return new Map();
  }
  return spans;
}

/**
 * The span of `path`, or of its nearest present ancestor.
 * @param {Map<string, Span>} spans
 * @param {string} path
 * @returns {Span | undefined}
 */
export function locate(spans, path) {
  const exact = spans.get(path);
  if (exact !== undefined) return exact;
  let best = "";
  for (const candidate of spans.keys()) {
    const next = path.charAt(candidate.length);
    const isAncestor =
      candidate === "" || (path.startsWith(candidate) && (next === "." || next === "["));
    if (isAncestor && candidate.length >= best.length) best = candidate;
  }
  return spans.get(best);
}

/**
 * The 1-based line and column of a JSON.parse error, read from the engine's message.
 * @param {string} text
 * @param {string} message
 */
export function syntaxErrorLine(text, message) {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn !== null) return Number(lineColumn[1]);
  const position = /position (\d+)/.exec(message);
  if (position !== null) return text.slice(0, Number(position[1])).split("\n").length;
  return undefined;
}

/**
 * The offset a JSON.parse error points at (its position, or its line and column), or the end of
 * the text when the message names none ("Unexpected end of JSON input").
 * @param {string} text
 * @param {string} message
 */
export function syntaxErrorOffset(text, message) {
  const position = /position (\d+)/.exec(message);
  if (position !== null) return Math.min(Number(position[1]), text.length);
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn !== null) {
    const lines = text.split("\n").slice(0, Number(lineColumn[1]) - 1);
    const start = lines.reduce((sum, line) => sum + line.length + 1, 0);
    return Math.min(start + Number(lineColumn[2]) - 1, text.length);
  }
  return text.length;
}
