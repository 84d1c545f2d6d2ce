// Sync users (docs/manifest.md, Sync-users manifests): after the execute steps, read the list at
// `data_from`, map each entry with `data_structure` (a field the entry lacks is left out and
// reported, as ChiefOnboarding keeps such entries), and follow `next_page_from` (a full URL in the
// response) or `next_page_token_from` + `next_page` (`{{ NEXT_PAGE_TOKEN }}`) for up to
// `amount_pages_to_fetch` pages in all. A page without the list ends the sync (as in
// ChiefOnboarding).
import { problem, type ErrorInfo } from "../errors/index.ts";
import type { ResponseRecord } from "../exchange/types.ts";
import type { JsonValue, Step, SyncUsersManifest } from "../manifest/types.ts";
import { readNotation } from "../json/notation.ts";
import { renderTemplate, createScope } from "../template/index.ts";
import { toErrorInfo } from "../errors/index.ts";
import { excerpt } from "./describe.ts";
import type { RunContext, RunState } from "./types.ts";
import { variableLayers } from "./variables.ts";
import { nextState } from "./state-copy.ts";

const DEFAULT_PAGES = 5;

export interface SyncResult {
  users: Array<Record<string, JsonValue>>;
  /** Entries that could not be mapped, with why (they are left out, not fatal). */
  skipped: Array<{ page: number; index: number; reason: string }>;
  /**
   * Entries kept without some mapped fields (not in the entry), as ChiefOnboarding keeps them;
   * absent in results of runs made before hirewire reported them.
   */
  incomplete?: IncompleteUser[];
  pages: number;
}

/** A user kept without the `data_structure` fields its entry did not have. */
export interface IncompleteUser {
  page: number;
  index: number;
  email?: string;
  missing: string[];
}

/** A page request: GET of an already-rendered URL with the manifest's headers. */
export function syncPageStep(url: string): Step {
  return { url, method: "GET" };
}

export function nextSyncState(
  ctx: RunContext,
  state: RunState,
  response: ResponseRecord,
  path: string,
): { state: RunState } | { error: ErrorInfo } {
  const manifest = ctx.manifest as SyncUsersManifest;
  const result: SyncResult = (state.result as unknown as SyncResult | undefined) ?? {
    users: [],
    skipped: [],
    pages: 0,
  };
  const firstPage = state.nextPage === undefined;
  const list = readNotation(response.json, manifest.data_from ?? "");
  if (!list.found || !Array.isArray(list.value)) {
    if (!firstPage) return { state: done(state, result) }; // no list on a later page: the sync is complete
    const facts = {
      dataFrom: manifest.data_from,
      found: list.found,
      response: excerpt(response, ctx.maskText),
    };
    return {
      error: problem("SYNC_DATA", "notAList", facts, { path: "data_from", step: state.step }),
    };
  }
  const page = result.pages + 1;
  const users = [...result.users];
  const skipped = [...result.skipped];
  const incomplete = [...(result.incomplete ?? [])];
  (list.value as JsonValue[]).forEach((entry, index) => {
    const mapped = mapUser(entry, manifest.data_structure);
    if ("reason" in mapped) {
      skipped.push({ page, index, reason: mapped.reason });
      return;
    }
    users.push(mapped.user);
    if (mapped.missing.length === 0) return;
    const email = mapped.user.email;
    incomplete.push({
      page,
      index,
      ...(typeof email === "string" ? { email } : {}),
      missing: mapped.missing,
    });
  });
  const next: SyncResult = { users, skipped, incomplete, pages: page };
  if (page >= (manifest.amount_pages_to_fetch ?? DEFAULT_PAGES))
    return { state: done(state, next) };

  const url = nextPageUrl(ctx, state, response, manifest);
  if ("error" in url)
    return { error: { ...url.error, step: state.step, path: url.error.path ?? path } };
  if (url.value === undefined) return { state: done(state, next) };
  return { state: nextState(state, { result: next as unknown as JsonValue, nextPage: url.value }) };
}

function done(state: RunState, result: SyncResult): RunState {
  return nextState(state, { result: result as unknown as JsonValue, nextPage: undefined });
}

/**
 * Maps one directory entry with `data_structure`. A field the entry lacks is left out of the user
 * (ChiefOnboarding does the same) and named in `missing`; only a missing `email` skips the entry,
 * since hires are matched by it.
 */
function mapUser(
  entry: JsonValue,
  structure: Record<string, string> | undefined,
): { user: Record<string, JsonValue>; missing: string[] } | { reason: string } {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry))
    return { reason: `not an object: ${JSON.stringify(entry).slice(0, 100)}` };
  if (structure === undefined || Object.keys(structure).length === 0)
    return { user: entry, missing: [] };
  const user: Record<string, JsonValue> = {};
  const missing: string[] = [];
  for (const [prop, notation] of Object.entries(structure)) {
    const found = readNotation(entry, notation);
    if (found.found) {
      user[prop] = found.value as JsonValue;
      continue;
    }
    if (prop === "email")
      return {
        reason: `${notation} (for ${prop}) not found in ${JSON.stringify(entry).slice(0, 200)}`,
      };
    missing.push(prop);
  }
  return { user, missing };
}

function nextPageUrl(
  ctx: RunContext,
  state: RunState,
  response: ResponseRecord,
  manifest: SyncUsersManifest,
): { value: string | undefined } | { error: ErrorInfo } {
  if (manifest.next_page_from !== undefined && manifest.next_page_from !== "") {
    const found = readNotation(response.json, manifest.next_page_from);
    const value =
      found.found && typeof found.value === "string" && found.value !== ""
        ? found.value
        : undefined;
    return { value };
  }
  if (manifest.next_page_token_from === undefined || manifest.next_page === undefined)
    return { value: undefined };
  const token = readNotation(response.json, manifest.next_page_token_from);
  if (!token.found || token.value === null || token.value === "") return { value: undefined };
  try {
    const scope = createScope([...variableLayers(ctx, state), { NEXT_PAGE_TOKEN: token.value }]);
    return { value: renderTemplate(manifest.next_page, scope) };
  } catch (error) {
    return { error: { ...toErrorInfo(error), path: "next_page" } };
  }
}
