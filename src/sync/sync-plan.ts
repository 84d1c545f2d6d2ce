// Sync users, step two: what a finished sync run's users would change in the hire store. The plan
// is computed against the store as it is now, so a preview and the apply that follows it agree
// unless hires changed in between — and applying twice finds nothing left to create.
import type { IncompleteUser, SyncResult } from "../engine/sync-pages.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { Store } from "../store/store.ts";

export type SyncAction = "create" | "update";

/** An entry left out of the plan, with the reason an admin can act on. */
export interface SkippedUser {
  reason: string;
  /** The entry's email as the directory gave it, when it had one. */
  email?: string;
  /** Where the engine found an entry it could not map (page from 1, index within the page). */
  page?: number;
  index?: number;
}

/** A hire whose stored fields the sync would change: only the fields whose value differs. */
export interface PlannedUpdate {
  hireId: string;
  email: string;
  fields: Record<string, JsonValue>;
}

export interface SyncPlan {
  action: SyncAction;
  /** Pages the run fetched and users it mapped, as the run reported them. */
  pages: number;
  users: number;
  /** Props of the hires to create (action `create`). */
  create: Array<Record<string, JsonValue>>;
  /** Stored fields to write (action `update`). */
  update: PlannedUpdate[];
  /** Users that would change nothing: already hires (create) or every field already equal (update). */
  unchanged: number;
  skipped: SkippedUser[];
  /** Users kept without some data_structure fields their entry lacked, and which. */
  incomplete: IncompleteUser[];
}

// Deliberately loose: the directory is the authority on addresses; this only keeps out values that
// cannot be an address at all (empty, spaces, no @ or no dot in the domain).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The key emails are matched by: trimmed and lower-cased, as the store indexes them. */
function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Reads a sync run's `state.result` ({users, skipped, pages}); undefined when it does not have
 * that shape (the run is not a finished sync).
 */
export function readSyncResult(value: JsonValue | undefined): SyncResult | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { users, skipped, incomplete, pages } = value as Record<string, JsonValue>;
  if (!Array.isArray(users) || !Array.isArray(skipped) || typeof pages !== "number")
    return undefined;
  const objects = users.filter(
    (user): user is Record<string, JsonValue> =>
      typeof user === "object" && user !== null && !Array.isArray(user),
  );
  return {
    users: objects,
    skipped: skipped as unknown as SyncResult["skipped"],
    incomplete: Array.isArray(incomplete) ? (incomplete as unknown as IncompleteUser[]) : [],
    pages,
  };
}

/** A user with a usable email, first of its email in the sync. */
export interface ScreenedUser {
  /** Trimmed, as the directory spelled it. */
  email: string;
  user: Record<string, JsonValue>;
}

/**
 * The users a sync can act on, without looking at any hire: each needs a valid `email` (map one
 * with `data_structure`), and the first entry per email (case-insensitive) wins. The others, and
 * the entries the engine could not map, are skipped with a reason.
 */
export function screenSyncUsers(result: SyncResult): {
  users: ScreenedUser[];
  skipped: SkippedUser[];
} {
  const users: ScreenedUser[] = [];
  const skipped: SkippedUser[] = result.skipped.map((entry) => ({ ...entry }));
  const seen = new Set<string>();
  for (const user of result.users) {
    const raw = user.email;
    if (typeof raw !== "string" || raw.trim() === "") {
      skipped.push({
        reason: 'the user has no "email"; map one with data_structure to match hires',
      });
      continue;
    }
    const email = raw.trim();
    if (!EMAIL.test(email)) {
      skipped.push({ email: raw, reason: `${JSON.stringify(raw)} is not an email address` });
      continue;
    }
    const key = emailKey(email);
    if (seen.has(key)) {
      skipped.push({ email, reason: "an earlier user in this sync has the same email" });
      continue;
    }
    seen.add(key);
    users.push({ email, user: { ...user, email } });
  }
  return { users, skipped };
}

/** What applying `result` with `action` would do now (see screenSyncUsers for who is skipped). */
export async function planSync(
  store: Store,
  result: SyncResult,
  action: SyncAction,
): Promise<SyncPlan> {
  const screened = screenSyncUsers(result);
  const plan: SyncPlan = {
    action,
    pages: result.pages,
    users: result.users.length,
    create: [],
    update: [],
    unchanged: 0,
    skipped: screened.skipped,
    incomplete: result.incomplete ?? [],
  };
  for (const { email, user } of screened.users) {
    const hire = await store.findHireByEmail(emailKey(email));
    if (action === "create") {
      if (hire !== undefined) plan.unchanged += 1;
      else plan.create.push(user);
      continue;
    }
    if (hire === undefined) {
      plan.skipped.push({ email, reason: "no hire has this email" });
      continue;
    }
    // Compared with the real values: a secret field's masked view would always look changed.
    const stored = await store.getStoredValues(hire.id);
    const fields: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(user)) {
      if (name === "email") continue;
      const current = stored[name];
      if (current === undefined || !sameJson(current.value, value)) fields[name] = value;
    }
    if (Object.keys(fields).length === 0) plan.unchanged += 1;
    else plan.update.push({ hireId: hire.id, email, fields });
  }
  return plan;
}

/** Equal as JSON values, whatever the key order of objects. */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => sameJson(item, b[index]!));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => key in b && sameJson(a[key]!, b[key]!));
}
