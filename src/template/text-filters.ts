// Django's text filters whose exact behaviour is easy to get subtly wrong: title, capfirst,
// urlencode and slugify. Each mirrors the Python implementation named in its JSDoc.

const ALWAYS_SAFE = /^[A-Za-z0-9_.~-]$/;
const encoder = new TextEncoder();

/**
 * Django's `title`: Python's str.title() (a letter after a cased letter is lowered, any other
 * letter raised), then a letter after an apostrophe or a digit lowered again ("they're", "1st").
 */
export function titleCase(text: string): string {
  let out = "";
  let previousCased = false;
  for (const char of text) {
    const cased = char.toLowerCase() !== char.toUpperCase();
    out += cased ? (previousCased ? char.toLowerCase() : char.toUpperCase()) : char;
    previousCased = cased;
  }
  return out
    .replace(/([a-z])'([A-Z])/g, (match) => match.toLowerCase())
    .replace(/[0-9][A-Z]/g, (match) => match.toLowerCase());
}

/** Django's `capfirst`: the first character upper-cased, the rest untouched. */
export function capitalizeFirst(text: string): string {
  const first = text.codePointAt(0);
  if (first === undefined) return text;
  const head = String.fromCodePoint(first);
  return head.toUpperCase() + text.slice(head.length);
}

/**
 * Django's `urlencode` (Python's urllib.parse.quote): UTF-8 percent-encoding with upper-case hex
 * of everything but ASCII letters, digits, `_.-~` and the `safe` characters (default `/`).
 */
export function urlEncode(text: string, safe = "/"): string {
  let out = "";
  for (const byte of encoder.encode(text)) {
    const char = String.fromCharCode(byte);
    if (byte < 0x80 && (ALWAYS_SAFE.test(char) || safe.includes(char))) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// Python's `\s` on str also matches the ASCII separators 0x1C–0x1F, which JavaScript's does not.
const PY_SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f";
const NOT_SLUG_CHAR = new RegExp(`[^A-Za-z0-9_${PY_SPACE}-]`, "g");
const SPACES_OR_DASHES = new RegExp(`[${PY_SPACE}-]+`, "g");

/**
 * Django's `slugify` (allow_unicode=False): NFKD-normalise and drop what is not ASCII, lower-case,
 * keep only word characters, spaces and dashes, collapse runs of spaces and dashes into one dash,
 * strip dashes and underscores at both ends.
 */
export function slugify(text: string): string {
  const ascii = text.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
  return ascii
    .toLowerCase()
    .replace(NOT_SLUG_CHAR, "")
    .replace(SPACES_OR_DASHES, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
}
