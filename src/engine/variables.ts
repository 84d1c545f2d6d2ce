// The variables a step sees, in docs/manifest.md's precedence (later sources win): hire props →
// hire's stored fields → secrets (incl. generated) → oauth.* → redirect_url → run params →
// responses → fields stored by earlier steps of this run.
import { createScope, type Scope } from "../template/index.ts";
import type { RunContext, RunState } from "./types.ts";

export function variableLayers(
  ctx: RunContext,
  state: Pick<RunState, "generated" | "responses" | "stored">,
): Array<Record<string, unknown>> {
  const layers: Array<Record<string, unknown>> = [
    ctx.hire,
    ctx.hireStored,
    ctx.secrets,
    state.generated,
  ];
  if (ctx.oauth !== undefined) layers.push({ oauth: ctx.oauth });
  if (ctx.redirectUrl !== undefined) layers.push({ redirect_url: ctx.redirectUrl });
  layers.push(ctx.params, { responses: state.responses }, state.stored);
  return layers;
}

export function runScope(
  ctx: RunContext,
  state: Pick<RunState, "generated" | "responses" | "stored">,
): Scope {
  return createScope(variableLayers(ctx, state));
}

/** Ids of `initial_data_form` items named "generate": the driver fills them with fresh random text. */
export function generatedSecretIds(ctx: Pick<RunContext, "manifest">): string[] {
  return (ctx.manifest.initial_data_form ?? [])
    .filter((item) => item.name === "generate")
    .map((item) => item.id);
}

/**
 * Which variable paths read a secret, answered as the name it is masked under (`TOKEN`,
 * `oauth.access_token`) or undefined: the same values secretsToMask lists, looked up through the
 * layers as the scope does, so a param or stored field of the same name that hides a secret is
 * not one. Used to mask what a secret became after filters (`{{ TOKEN|upper }}`).
 */
export function secretVariable(
  ctx: RunContext,
  state: Pick<RunState, "generated" | "responses" | "stored">,
): (segments: readonly string[]) => string | undefined {
  return secretVariableOf(ctx, state, variableLayers(ctx, state));
}

/** The scope of a step and its `secretVariable`, over one set of layers (see both above). */
export function stepVariables(
  ctx: RunContext,
  state: Pick<RunState, "generated" | "responses" | "stored">,
): { scope: Scope; secretVariable: (segments: readonly string[]) => string | undefined } {
  const layers = variableLayers(ctx, state);
  return { scope: createScope(layers), secretVariable: secretVariableOf(ctx, state, layers) };
}

function secretVariableOf(
  ctx: RunContext,
  state: Pick<RunState, "generated">,
  layers: ReadonlyArray<Record<string, unknown>>,
): (segments: readonly string[]) => string | undefined {
  // Built on first use: most steps read no secret, or only a given one.
  let storedSecretNames: Set<string> | undefined;
  return (segments) => {
    const head = segments[0];
    if (head === undefined) return undefined;
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      if (!Object.prototype.hasOwnProperty.call(layer, head)) continue;
      if (layer === ctx.secrets) return notSecretIds(ctx).has(head) ? undefined : head;
      if (layer === state.generated) return head;
      // A stored field that holds a secret: what a filter makes of it is masked under its name.
      if (layer === ctx.hireStored) {
        storedSecretNames ??= new Set((ctx.storedSecrets ?? []).map((entry) => entry.name));
        return storedSecretNames.has(`stored.${head}`) ? `stored.${head}` : undefined;
      }
      if (head === "oauth" && ctx.oauth !== undefined && layer.oauth === ctx.oauth) {
        const field = segments[1];
        if (field === undefined) return "oauth";
        return TOKEN_METADATA.has(field) ? undefined : `oauth.${field}`;
      }
      return undefined;
    }
    return undefined;
  };
}

// A prepared manifest is frozen, so what is read from its form once stays true for every run.
const notSecretCache = new WeakMap<object, ReadonlySet<string>>();

function notSecretIds(ctx: RunContext): ReadonlySet<string> {
  const form = ctx.manifest.initial_data_form ?? [];
  const cached = notSecretCache.get(form);
  if (cached !== undefined) return cached;
  const ids = new Set(form.filter((item) => item.secret === false).map((item) => item.id));
  if (Object.isFrozen(form) && form.every((item) => Object.isFrozen(item)))
    notSecretCache.set(form, ids);
  return ids;
}

/**
 * Secret values to mask, by name: every secret given except items marked `"secret": false`, plus
 * generated ones, OAuth tokens and the secrets held by the hire's stored fields.
 */
export function secretsToMask(
  ctx: RunContext,
  generated: Record<string, string>,
): Array<{ name: string; value: string }> {
  const notSecret = notSecretIds(ctx);
  const entries: Array<{ name: string; value: string }> = [];
  for (const [name, value] of Object.entries(ctx.secrets)) {
    if (!notSecret.has(name) && typeof value === "string") entries.push({ name, value });
  }
  for (const [name, value] of Object.entries(generated)) entries.push({ name, value });
  for (const [name, value] of Object.entries(ctx.oauth ?? {})) {
    if (isSecretTokenField(name, value)) entries.push({ name: `oauth.${name}`, value });
  }
  // Last: a stored value that contains a secret given above is still named after that secret.
  entries.push(...(ctx.storedSecrets ?? []));
  return entries;
}

/** Fields of a token response that describe the token rather than being one: never masked. */
const TOKEN_METADATA = new Set([
  "token_type",
  "expires_in",
  "expires_at",
  "scope",
  "ext_expires_in",
]);

/** True for a token-response field whose value must be masked (the tokens, not "Bearer"). */
export function isSecretTokenField(name: string, value: unknown): value is string {
  return typeof value === "string" && !TOKEN_METADATA.has(name);
}
