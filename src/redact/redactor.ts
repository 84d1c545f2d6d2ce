// The one place secrets are masked (docs/manifest.md): every secret value, in every form it can take
// (see secret-forms.ts), becomes `***NAME***` in strings, object keys and numbers equal to a
// numeric secret. Works on structured records, never on serialized JSON, so masked JSON stays
// valid. Runs on every attempt record, so the work is one combined RegExp, built lazily and
// shared by redactors with the same secrets, and it copies only what it changes.
import { setOwn } from "../json/own-property.ts";
import { secretPattern } from "./secret-forms.ts";

/** A named secret value (an `initial_data_form` id, an OAuth token, a derived credential). */
export interface SecretEntry {
  name: string;
  value: string;
}

/** Shorter values would mangle unrelated text, so they are refused (validation warns). */
const MIN_SECRET_LENGTH = 4;

/** No refused names: shared, never written to. */
const NONE_TOO_SHORT: readonly string[] = Object.freeze([]);
/** No secrets yet: shared, never written to (`add` copies a shared map before writing). */
const NO_NAMES: ReadonlyMap<string, string> = new Map();

/** Masks registered secret values in strings and structured data. */
export class Redactor {
  /**
   * Each secret value and its name. Once compiled it is the shared compiled form's map (every run
   * with the same secrets has one Redactor; thousands may be waiting), copied on the next `add`.
   */
  #names: ReadonlyMap<string, string> = NO_NAMES;
  #namesShared = true;
  /** Made on the first refusal: most runs have none. */
  #tooShort: string[] | undefined;
  #compiled: Compiled | undefined;
  /** The names and values in the order added, as one string: the key of the shared compiled form. */
  #key = "";

  constructor(secrets: Iterable<SecretEntry> = []) {
    for (const { name, value } of secrets) this.add(name, value);
  }

  /**
   * Adds a value (e.g. a derived one: the encoded Basic credential, a signature). Values shorter
   * than 4 characters are ignored and their name recorded in `tooShort`. When two names share a
   * value, the first one names it.
   */
  add(name: string, value: string): void {
    // Counted in code points (a value of 4 emoji is long enough); most values are plainly longer.
    if (value.length < MIN_SECRET_LENGTH * 2 && [...value].length < MIN_SECRET_LENGTH) {
      this.#tooShort ??= [];
      if (!this.#tooShort.includes(name)) this.#tooShort.push(name);
      return;
    }
    if (this.#names.has(value)) return;
    const names = this.#namesShared ? new Map(this.#names) : (this.#names as Map<string, string>);
    names.set(value, name);
    this.#names = names;
    this.#namesShared = false;
    // Lengths first, so no two different lists of names and values make the same key.
    this.#key += `${name.length}:${name}${value.length}:${value}`;
    this.#compiled = undefined;
  }

  /** Names of values shorter than 4 characters that were refused. */
  get tooShort(): readonly string[] {
    return this.#tooShort ?? NONE_TOO_SHORT;
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
    const { pattern, shortestForm, memo } = this.#compile();
    if (text.length < shortestForm) return text;
    // Header names and values, methods and URLs repeat on every attempt of every run with these
    // secrets: a short text's answer is kept (bounded), a lookup being cheaper than the pattern.
    const short = text.length <= MEMO_MAX_LENGTH;
    if (short) {
      const known = memo.get(text);
      if (known !== undefined) return known;
    }
    let masked = text;
    // Most strings hold no secret: a test is cheaper than a replace that finds nothing.
    pattern.lastIndex = 0;
    if (pattern.test(text)) {
      pattern.lastIndex = 0;
      masked = text.replace(pattern, (...args: unknown[]) => this.#token(args));
    }
    if (short) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(text, masked);
    }
    return masked;
  }

  /** True when `text` holds a secret in any form (e.g. a header a redirect must not carry away). */
  holdsSecret(text: string): boolean {
    if (this.#names.size === 0 || text.length < MIN_SECRET_LENGTH) return false;
    const { pattern, shortestForm } = this.#compile();
    if (text.length < shortestForm) return false;
    pattern.lastIndex = 0;
    return pattern.test(text);
  }

  /**
   * Masks `text` and keeps at most `max` characters of the masked result: the cut comes after
   * masking, so it never leaves part of a secret, and never splits a `***NAME***`. Scans only as
   * far as the kept part needs. `omitted` counts the characters of `text` left out.
   */
  redactClipped(text: string, max: number): { text: string; omitted: number } {
    if (this.#names.size === 0 || text.length < MIN_SECRET_LENGTH) {
      return text.length > max
        ? { text: text.slice(0, max), omitted: text.length - max }
        : { text, omitted: 0 };
    }
    const { pattern, longestMatch } = this.#compile();
    let out = "";
    let from = 0;
    for (;;) {
      const room = max - out.length;
      // A secret starting within `room` characters ends inside this window, so it is found whole.
      const window = text.slice(from, from + room + longestMatch);
      pattern.lastIndex = 0;
      const match = pattern.exec(window);
      if (match === null || match.index >= room) {
        out += text.slice(from, from + room);
        return { text: out, omitted: Math.max(0, text.length - from - room) };
      }
      out += window.slice(0, match.index);
      const token = this.#token([...match, match.index, window]);
      if (out.length + token.length > max) {
        return { text: out, omitted: text.length - from - match.index };
      }
      out += token;
      from += match.index + match[0].length;
    }
  }

  /** `***NAME***` for a match, from the arguments `replace` gives (match, groups…, index, input). */
  #token(args: readonly unknown[]): string {
    const { groupNames } = this.#compiled!;
    for (let i = 0; i < groupNames.length; i++) {
      if (args[i + 1] !== undefined) return `***${groupNames[i]}***`;
    }
    return "***SECRET***";
  }

  /**
   * Plain data with every string (object keys too) redacted and every number whose JSON text
   * equals a secret replaced by `"***NAME***"`. Copy on write: an array or plain object that
   * holds nothing to mask is returned as it is, and one that does is copied (the parts of it that
   * hold nothing stay shared), so the input is never changed; treat the result as read-only too.
   * Only arrays and plain objects are walked; other objects (Date, typed arrays, class instances)
   * are returned as they are, so convert bodies to text first. With no secrets registered the
   * value itself is returned.
   */
  redact<T>(value: T): T {
    if (this.#names.size === 0) return value;
    this.#compile();
    return this.#walk(value) as T;
  }

  // Runs on every attempt record, and most of a record holds no secret: copying only what
  // changes keeps the common case to one RegExp test per string and no allocation.
  #walk(value: unknown): unknown {
    if (typeof value === "string") return this.redactString(value);
    if (typeof value === "number") {
      const { numberNames } = this.#compiled!;
      if (numberNames.size === 0) return value;
      const name = numberNames.get(String(value));
      return name === undefined ? value : `***${name}***`;
    }
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return this.#walkArray(value);
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value;
    return this.#walkObject(value as Record<string, unknown>);
  }

  #walkArray(source: readonly unknown[]): unknown[] {
    let copy: unknown[] | undefined;
    for (let i = 0; i < source.length; i++) {
      const item = source[i];
      const masked = this.#walk(item);
      if (copy === undefined && masked !== item) copy = source.slice(0, i);
      copy?.push(masked);
    }
    return copy ?? (source as unknown[]);
  }

  #walkObject(source: Record<string, unknown>): Record<string, unknown> {
    const keys = Object.keys(source);
    let copy: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const item = source[key];
      const maskedKey = this.redactString(key);
      const masked = this.#walk(item);
      if (copy === undefined) {
        if (maskedKey === key && masked === item) continue;
        copy = {};
        for (let j = 0; j < i; j++) setOwn(copy, keys[j]!, source[keys[j]!]);
      }
      setOwn(copy, maskedKey, masked);
    }
    return copy ?? source;
  }

  #compile(): Compiled {
    if (this.#compiled !== undefined) return this.#compiled;
    // Every run builds a Redactor for the same integration secrets; the forms and the pattern
    // depend on nothing else, so they are shared.
    const key = this.#key;
    let compiled = compiledCache.get(key);
    if (compiled === undefined) {
      compiled = compile(this.#names, key);
      if (compiledCache.size >= COMPILED_CACHE_LIMIT) {
        const oldest = compiledCache.keys().next();
        if (oldest.done !== true) compiledCache.delete(oldest.value);
      }
      compiledCache.set(key, compiled);
    }
    this.#compiled = compiled;
    // The shared key and map: this run's own, built piece by piece, need not be kept.
    this.#key = compiled.key;
    this.#names = compiled.names;
    this.#namesShared = true;
    return compiled;
  }
}

/** What masking needs, built from the secret values and their names. Shared: never changed. */
interface Compiled {
  /** The names and values it was built from (the Redactor's key). */
  key: string;
  /** Each secret value and its name: never written to. */
  names: ReadonlyMap<string, string>;
  /**
   * Every form of every secret, one capture group per secret, longest secret first. Global, so
   * callers reset `lastIndex`.
   */
  pattern: RegExp;
  /** The secret's name for each capture group. */
  groupNames: readonly string[];
  /** Length of the shortest secret: shorter strings cannot hold one. */
  shortestForm: number;
  /** Length of the longest text a match can span. */
  longestMatch: number;
  /** Numeric secrets by their JSON text. */
  numberNames: ReadonlyMap<string, string>;
  /** Short texts already masked with this pattern, and what they became (bounded). */
  memo: Map<string, string>;
}

/** Texts up to this long have their masked form kept, at most MEMO_LIMIT of them per secret set. */
const MEMO_MAX_LENGTH = 256;
const MEMO_LIMIT = 512;

// Bounded: a service sees one entry per integration secret set (plus derived values), and the
// entries hold secret values, which should not pile up in memory beyond what is in use.
const COMPILED_CACHE_LIMIT = 64;
const compiledCache = new Map<string, Compiled>();

function compile(names: ReadonlyMap<string, string>, key: string): Compiled {
  const numberNames = new Map<string, string>();
  // Longest first, so a secret containing another masks whole.
  const values = [...names.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  const groups: string[] = [];
  const groupNames: string[] = [];
  let longestMatch = 0;
  for (const value of values) {
    const name = names.get(value)!;
    const { source, longest } = secretPattern(value);
    groups.push(`(${source})`);
    groupNames.push(name);
    longestMatch = Math.max(longestMatch, longest);
    if (/^-?[0-9]+(\.[0-9]+)?$/.test(value) && String(Number(value)) === value) {
      numberNames.set(value, name);
    }
  }
  return {
    // Flat: a key built piece by piece is a tree of joined strings.
    key: key.split("").join(""),
    names,
    pattern: new RegExp(groups.join("|"), "g"),
    groupNames,
    shortestForm: values.at(-1)?.length ?? MIN_SECRET_LENGTH,
    longestMatch,
    numberNames,
    memo: new Map(),
  };
}
