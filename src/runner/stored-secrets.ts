// Stored fields that hold a secret. When a step stores a value, the run's redactor judges it: a
// value it would mask (an echoed Authorization header, a generated password, an OAuth token) is
// sensitive — encrypted at rest and shown only as its masked view. A later run gets the real
// value for its requests and masks it as `***stored.NAME***`, wherever it appears.
import type { JsonValue } from "../manifest/types.ts";
import type { Redactor, SecretEntry } from "../redact/index.ts";
import type { RunState } from "../engine/types.ts";
import type { StoredValue } from "../store/index.ts";
import { shaped } from "../engine/machine.ts";

/** The secret name a sensitive stored field is masked as: `stored.NAME`. */
function storedSecretName(field: string): string {
  return `stored.${field}`;
}

/** The view of a field an admin marked secret: the whole value masked. */
export function secretFieldView(field: string): string {
  return `***${storedSecretName(field)}***`;
}

/** The masked view of every field that holds something `redactor` masks; others are left out. */
export function sensitiveViews(
  fields: Record<string, JsonValue>,
  redactor: Redactor,
): Record<string, JsonValue> {
  const views: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(fields)) {
    // The redactor copies only what it changes: the same value back means nothing to mask.
    const shown = redactor.redact(value);
    if (shown !== value) views[name] = shown;
  }
  return views;
}

const PLACEHOLDER = /\*\*\*[^*\s]+\*\*\*/;

/**
 * The secret parts of a sensitive field's value, named `stored.NAME`: in every string that its
 * masked view changed, the text in each `***…***` hole of the view (`"Bearer ***TOKEN***"` → the
 * token), or the whole string when the view masks all of it; numbers the view masked, whole.
 */
export function storedSecretEntries(
  field: string,
  value: JsonValue,
  shown: JsonValue,
): SecretEntry[] {
  const name = storedSecretName(field);
  const entries: SecretEntry[] = [];
  const visit = (raw: JsonValue, view: JsonValue): void => {
    if (raw === view) return;
    if (typeof raw === "string") {
      const parts = typeof view === "string" ? holes(raw, view) : [];
      // Masking only the holes keeps the text around them readable; a hole too short to mask
      // means the view did not line up with the value, so the whole value is masked instead.
      const usable = parts.length > 0 && parts.every((part) => [...part].length >= 4);
      for (const value of usable ? parts : [raw]) entries.push({ name, value });
      return;
    }
    if (typeof raw === "number") {
      entries.push({ name, value: String(raw) });
      return;
    }
    if (raw === null || typeof raw !== "object") return;
    const sameShape =
      view !== null && typeof view === "object" && Array.isArray(view) === Array.isArray(raw);
    const rawKeys = Object.keys(raw);
    const viewKeys = sameShape ? Object.keys(view) : [];
    rawKeys.forEach((key, i) => {
      const item = (raw as Record<string, JsonValue>)[key]!;
      if (!sameShape || viewKeys.length !== rawKeys.length) return visit(item, null);
      const viewKey = viewKeys[i]!;
      if (viewKey !== key) entries.push({ name, value: key });
      visit(item, (view as Record<string, JsonValue>)[viewKey]!);
    });
  };
  visit(value, shown);
  return entries;
}

/** The text in each `***NAME***` hole of `view`, matched against `raw`; none when it does not fit. */
function holes(raw: string, view: string): string[] {
  const literals = view.split(new RegExp(PLACEHOLDER.source, "g"));
  if (literals.length < 2 || literals.every((literal) => literal === "")) return [];
  const pattern = new RegExp(`^${literals.map(escapeRegExp).join("([\\s\\S]+?)")}$`);
  return (pattern.exec(raw) ?? []).slice(1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What a run needs from the hire's stored fields: the real values and the secrets among them. */
export function storedInputs(values: Record<string, StoredValue>): {
  stored: Record<string, JsonValue>;
  storedSecrets: SecretEntry[];
  /** Secret fields that cannot be decrypted (a lost key): left out, to be set again. */
  unreadableStored: string[];
} {
  const stored: Record<string, JsonValue> = {};
  const storedSecrets: SecretEntry[] = [];
  const unreadableStored: string[] = [];
  for (const [name, field] of Object.entries(values)) {
    if (field.unreadable === true) {
      unreadableStored.push(name);
      continue;
    }
    stored[name] = field.value;
    if (field.sensitive) storedSecrets.push(...storedSecretEntries(name, field.value, field.shown));
  }
  return { stored, storedSecrets, unreadableStored };
}

/**
 * A saved state keeps the fields its run stored masked; before the run continues, the sensitive
 * ones this run wrote get their real value back from the store, so later steps send it.
 */
export function restoreStored(
  state: RunState,
  values: Record<string, StoredValue>,
  runId: string,
): RunState {
  let stored: Record<string, JsonValue> | undefined;
  for (const name of Object.keys(state.stored)) {
    const field = values[name];
    if (field === undefined || !field.sensitive || field.unreadable === true) continue;
    if (field.runId !== runId) continue;
    stored ??= { ...state.stored };
    stored[name] = field.value;
  }
  // A state read back from the store: `shaped` keeps any key a newer version wrote.
  return stored === undefined ? state : Object.assign(shaped(state), { stored });
}

/** True when a value still carries a `***NAME***` mask (a state saved by the CLI holds these). */
function holdsMask(value: JsonValue): boolean {
  return PLACEHOLDER.test(typeof value === "string" ? value : JSON.stringify(value));
}

/** A saved state's stored fields made usable again: see `unmaskHeldStored`. */
export interface HeldStored {
  state: RunState;
  /** Secrets among the values given again, to mask as `stored.NAME`. */
  storedSecrets: SecretEntry[];
  /** Masked fields nobody gave again, by name: shown as they were, never sent. */
  missing: Record<string, JsonValue>;
}

/**
 * A state saved outside the store (the CLI's --state file) keeps fields that held a secret only
 * masked. Before it is resumed, each such field takes the value given again in `resupplied` (the
 * state file's "stored"), masked from then on; one not given is taken out of the state, so a step
 * that uses it fails as an unknown variable instead of sending the mask.
 */
export function unmaskHeldStored(
  state: RunState,
  resupplied: Record<string, JsonValue>,
): HeldStored {
  const storedSecrets: SecretEntry[] = [];
  const missing: Record<string, JsonValue> = {};
  let stored: Record<string, JsonValue> | undefined;
  for (const [name, shown] of Object.entries(state.stored)) {
    if (!holdsMask(shown)) continue;
    stored ??= { ...state.stored };
    if (Object.hasOwn(resupplied, name)) {
      stored[name] = resupplied[name]!;
      storedSecrets.push(...storedSecretEntries(name, resupplied[name]!, shown));
    } else {
      delete stored[name];
      missing[name] = shown;
    }
  }
  return {
    // A state read from a file: `shaped` keeps any key a newer version wrote.
    state: stored === undefined ? state : Object.assign(shaped(state), { stored }),
    storedSecrets,
    missing,
  };
}
