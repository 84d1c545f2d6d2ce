// The one place secrets are masked (SPEC section 9): every secret value, in every form it can take
// (see secret-forms.ts), becomes `***NAME***` in strings, object keys and numbers equal to a
// numeric secret. Works on structured records, never on serialized JSON, so masked JSON stays
// valid. Runs on every attempt record, so the work is one combined RegExp, built lazily.
import { secretForms } from "./secret-forms.ts";

/** A named secret value (an `initial_data_form` id, an OAuth token, a derived credential). */
export interface SecretEntry {
  name: string;
  value: string;
}

/** Shorter values would mangle unrelated text, so they are refused (validation warns). */
const MIN_SECRET_LENGTH = 4;

/** Masks registered secret values in strings and structured data. */
export class Redactor {
  #names = new Map<string, string>();
  #tooShort: string[] = [];
  #pattern: RegExp | undefined;
  #formNames = new Map<string, string>();
  #numberNames = new Map<string, string>();

  constructor(secrets: Iterable<SecretEntry> = []) {
    for (const { name, value } of secrets) this.add(name, value);
  }

  /**
   * Adds a value (e.g. a derived one: the encoded Basic credential, a signature). Values shorter
   * than 4 characters are ignored and their name recorded in `tooShort`. When two names share a
   * value, the first one names it.
   */
  add(name: string, value: string): void {
    if ([...value].length < MIN_SECRET_LENGTH) {
      if (!this.#tooShort.includes(name)) this.#tooShort.push(name);
      return;
    }
    if (this.#names.has(value)) return;
    this.#names.set(value, name);
    this.#pattern = undefined;
  }

  /** Names of values shorter than 4 characters that were refused. */
  get tooShort(): readonly string[] {
    return this.#tooShort;
  }

  /** How many distinct secret values are masked. */
  get size(): number {
    return this.#names.size;
  }

  /**
   * Masks every secret in a string, in every form (raw, base64, URL-encoded, JSON-escaped), as
   * `***NAME***`. Longest forms match first, so a secret containing another masks whole.
   */
  redactString(text: string): string {
    if (this.#names.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    const pattern = this.#compile();
    // Most strings hold no secret: a test is cheaper than a replace that finds nothing.
    pattern.lastIndex = 0;
    if (!pattern.test(text)) return text;
    return text.replace(pattern, (match) => `***${this.#formNames.get(match) ?? "SECRET"}***`);
  }

  /**
   * Deep copy of plain data with every string (object keys too) redacted and every number whose
   * JSON text equals a secret replaced by `"***NAME***"`. Only arrays and plain objects are
   * walked; other objects (Date, typed arrays, class instances) are returned as they are, so
   * convert bodies to text first. With no secrets registered the value itself is returned.
   */
  redact<T>(value: T): T {
    if (this.#names.size === 0) return value;
    this.#compile();
    return this.#walk(value) as T;
  }

  #walk(value: unknown): unknown {
    if (typeof value === "string") return this.redactString(value);
    if (typeof value === "number") {
      const name = this.#numberNames.get(String(value));
      return name === undefined ? value : `***${name}***`;
    }
    if (Array.isArray(value)) return value.map((item) => this.#walk(item));
    if (value === null || typeof value !== "object") return value;
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value;
    const source = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      const masked = this.redactString(key);
      const item = this.#walk(source[key]);
      // Plain assignment would set the prototype for a "__proto__" key parsed from JSON.
      if (masked === "__proto__") {
        Object.defineProperty(copy, masked, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        copy[masked] = item;
      }
    }
    return copy;
  }

  #compile(): RegExp {
    if (this.#pattern) return this.#pattern;
    this.#formNames.clear();
    this.#numberNames.clear();
    for (const [value, name] of this.#names) {
      for (const form of secretForms(value)) {
        if (!this.#formNames.has(form)) this.#formNames.set(form, name);
      }
      if (/^-?[0-9]+(\.[0-9]+)?$/.test(value) && String(Number(value)) === value) {
        this.#numberNames.set(value, name);
      }
    }
    const forms = [...this.#formNames.keys()].sort(
      (a, b) => b.length - a.length || (a < b ? -1 : 1),
    );
    this.#pattern = new RegExp(forms.map(escapeRegExp).join("|"), "g");
    return this.#pattern;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
