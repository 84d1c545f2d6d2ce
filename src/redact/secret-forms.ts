// The shapes a secret takes on its way into a request or a response, as one RegExp source per
// secret. A target may echo a value back percent-encoded (encodeURIComponent, form `+`, Python's
// quote, the WHATWG URL path and query sets, upper- or lower-case hex), JSON-escaped once or
// twice, as ASCII-only JSON (`\u00e4`), with `\/`, as HTML entities (`&#x27;`, `&#39;`, `&quot;`,
// `&amp;`), or mixed; so the pattern is built character by character, each character matching any
// of its encodings. Base64 forms (standard and URL-safe, padded or not) are added whole.
// The redactor masks every one of them (docs/manifest.md). Pure: no Buffer.

const encoder = new TextEncoder();

/** Standard base64 (with padding) of the UTF-8 bytes of `text`. */
export function base64Utf8(text: string): string {
  const bytes = encoder.encode(text);
  let binary = "";
  // Chunked so String.fromCharCode never receives more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// Characters no encoding listed here ever changes: left literal so the pattern stays a plain
// string search for the common case (letters and digits), which is what keeps it fast.
const PLAIN = /^[A-Za-z0-9_.~-]$/;

const HTML_NAMED: Readonly<Record<string, readonly string[]>> = {
  "&": ["&amp;"],
  "<": ["&lt;"],
  ">": ["&gt;"],
  '"': ["&quot;"],
  "'": ["&apos;", "&#039;"],
};

const hex2 = (byte: number): string => byte.toString(16).padStart(2, "0");
const hex4 = (unit: number): string => unit.toString(16).padStart(4, "0");

/** JSON text of `text` without its quotes (escaped once). */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** `\uXXXX` for each UTF-16 unit, lower- and upper-case hex. */
function unicodeEscapes(char: string): string[] {
  let lower = "";
  for (let i = 0; i < char.length; i++) lower += `\\u${hex4(char.charCodeAt(i))}`;
  return [lower, lower.toUpperCase().replace(/\\U/g, "\\u")];
}

/** Percent-encodings of the UTF-8 bytes of `char`: upper and lower hex, and encoded twice. */
function percentEscapes(char: string): string[] {
  // A lone surrogate has no UTF-8 form; TextEncoder would silently write U+FFFD.
  if (/[\ud800-\udfff]/.test(char) && char.length === 1) return [];
  let upper = "";
  for (const byte of encoder.encode(char)) upper += `%${hex2(byte).toUpperCase()}`;
  return [upper, upper.toLowerCase(), upper.replace(/%/g, "%25")];
}

// A backslash as JSON escaping writes it, itself percent-encoded or not. JSON escaping nested n
// deep puts 2^n - 1 of them before a `"`; up to 15 (four levels) are matched.
const BACKSLASH = "(?:\\\\|%5[Cc]|%255[Cc])";
const ESCAPE_DEPTH = 15;

// Characters repeat across secrets and every new secret set compiles its pattern again.
const alternationCache = new Map<string, string>();
const ALTERNATION_CACHE_LIMIT = 4096;

function htmlEntities(char: string): string[] {
  const code = char.codePointAt(0)!;
  if (code <= 0x20 && char !== " ") return [];
  const hex = code.toString(16);
  return [`&#${code};`, `&#x${hex};`, `&#x${hex.toUpperCase()};`, ...(HTML_NAMED[char] ?? [])];
}

/**
 * A RegExp source for one character in any of its forms: itself, its JSON and unicode escapes,
 * percent-encoding, HTML entities, plus JSON escapes nested any depth up to four and mixed with
 * percent-encoding (`\\\"`, `%5C%22`), as a target writes a JSON body it received back into
 * JSON, a URL or a form.
 */
function characterSource(char: string): string {
  const unescaped = [char, ...percentEscapes(char), ...htmlEntities(char)];
  // A form writes a space as `+`, which is `%2B` once the form is percent-encoded again.
  if (char === " ") unescaped.push("+", ...percentEscapes("+"));
  const alternatives: string[] = [];
  const json = jsonEscaped(char);
  if (json.startsWith("\\")) {
    // `"` and control characters: JSON writes a backslash and a letter or the character.
    alternatives.push(`${BACKSLASH}{1,${ESCAPE_DEPTH}}${escapeRegExp(json.slice(1))}`);
    if (json.slice(1) === "\\") alternatives.push(`${BACKSLASH}{1,${ESCAPE_DEPTH + 1}}`);
  }
  // After its backslashes, `/` and `"` may themselves be percent-encoded, once or twice (a JSON
  // body sent again in a form, echoed back in a URL).
  const escapedTail = (forms: string[]) =>
    `${BACKSLASH}{1,${ESCAPE_DEPTH}}(?:${[...new Set(forms)].map(escapeRegExp).join("|")})`;
  if (char === "/") alternatives.push(escapedTail(["/", ...percentEscapes("/")]));
  if (char === "\\") unescaped.push("/");
  if (char === '"') alternatives.push(escapedTail([...percentEscapes('"'), "&quot;", "&#34;"]));
  for (const unicode of unicodeEscapes(char)) {
    // One `\uXXXX` per UTF-16 unit (two for an emoji), each with its own backslashes.
    const units = unicode.split("\\").slice(1);
    alternatives.push(units.map((unit) => `${BACKSLASH}{1,${ESCAPE_DEPTH}}${unit}`).join(""));
  }
  const literals = [...new Set(unescaped)].sort((a, b) => b.length - a.length);
  return `(?:${[...alternatives, ...literals.map(escapeRegExp)].join("|")})`;
}

/**
 * Literal forms of a value that are not written character by character: base64 standard and
 * URL-safe, each with and without padding.
 */
function base64Forms(value: string): string[] {
  const base64 = base64Utf8(value);
  const urlSafe = base64.replace(/\+/g, "-").replace(/\//g, "_");
  return [base64, base64.replace(/=+$/, ""), urlSafe, urlSafe.replace(/=+$/, "")];
}

/** RegExp source matching `text` with each character in any of its forms; its longest match. */
function characterwise(text: string): { source: string; longest: number } {
  let source = "";
  let longest = 0;
  for (const char of text) {
    if (PLAIN.test(char)) {
      source += char === "." ? "\\." : char;
      longest += 1;
      continue;
    }
    let alternation = alternationCache.get(char);
    if (alternation === undefined) {
      alternation = characterSource(char);
      if (alternationCache.size < ALTERNATION_CACHE_LIMIT) alternationCache.set(char, alternation);
    }
    source += alternation;
    longest += LONGEST_FORM;
  }
  return { source, longest };
}

// Upper bound on the length of one character's longest form (16 percent-encoded backslashes
// before `\uD83D\uDE00`); a bound is enough for the redactor's clipping window.
const LONGEST_FORM = 16 * 5 + 12;

/**
 * A RegExp source (no capture groups) matching `value` in every form named in the header, and
 * the length of the longest text it can match.
 */
export function secretPattern(value: string): { source: string; longest: number } {
  const raw = characterwise(value);
  const alternatives = [raw.source];
  let longest = raw.longest;
  // Base64 is ASCII, but its `+ / =` are percent-encoded or JSON-escaped when it travels in a URL
  // or in JSON written by some encoders, so it is written character by character too.
  for (const form of new Set([...base64Forms(value), ...embeddedBase64Forms(value)])) {
    if (form === value) continue;
    const encoded = characterwise(form);
    alternatives.push(encoded.source);
    longest = Math.max(longest, encoded.longest);
  }
  return { source: alternatives.join("|"), longest };
}

// Shorter runs of base64 characters would match unrelated base64 text by chance.
const MIN_EMBEDDED_BASE64 = 8;

/**
 * The base64 characters that stand for a secret inside the base64 of a longer text (a JWT's
 * payload, a whole request echoed back as one base64 blob): at each of the three byte alignments
 * the secret can have there, the characters made of its bytes alone. Taken of the secret as it
 * travels most often — raw, JSON-escaped, percent-encoded, form-encoded — standard and URL-safe.
 */
function embeddedBase64Forms(value: string): string[] {
  const forms: string[] = [];
  const texts = new Set([value, jsonEscaped(value), uriEncoded(value), formEncoded(value)]);
  for (const text of texts) {
    const length = encoder.encode(text).length;
    for (let offset = 0; offset < 3; offset++) {
      const encoded = base64Utf8(`${"\0".repeat(offset)}${text}`);
      // Character i holds bits [6i, 6i + 6): keep those that lie wholly within the text's bytes.
      const middle = encoded.slice(
        Math.ceil((8 * offset) / 6),
        Math.floor((8 * (offset + length)) / 6),
      );
      if (middle.length < MIN_EMBEDDED_BASE64) continue;
      forms.push(middle, middle.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  return forms;
}

function formEncoded(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

/**
 * Representative literal forms of a value (raw first, each listed once): base64 standard and
 * URL-safe with and without padding, encodeURIComponent, form `+`, URLSearchParams, JSON-escaped
 * once and twice, ASCII-only JSON. The pattern of secretPattern matches all of them and their
 * mixtures; this list is for tests and tools that need concrete examples.
 */
export function secretForms(value: string): string[] {
  const uriComponent = uriEncoded(value);
  const json = jsonEscaped(value);
  const forms = [
    value,
    ...base64Forms(value),
    uriComponent,
    uriComponent.replace(/%20/g, "+"),
    new URLSearchParams([["", value]]).toString().slice(1),
    json,
    jsonEscaped(json),
    asciiJson(value),
  ];
  return [...new Set(forms)];
}

/** JSON-escaped with every non-ASCII UTF-16 unit written as `\uXXXX` (Python's ensure_ascii). */
export function asciiJson(value: string): string {
  return jsonEscaped(value).replace(/[^\x00-\x7f]/g, (unit) => `\\u${hex4(unit.charCodeAt(0))}`);
}

/** encodeURIComponent, or the raw value for text it refuses (a lone UTF-16 surrogate). */
function uriEncoded(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
