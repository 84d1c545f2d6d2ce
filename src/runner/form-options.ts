// The manifest's `form` as a trigger screen needs it (docs/manifest.md): each field with its
// choices resolved — fixed `items`, or fetched with one request (`url`, `method`, `headers`,
// `data`) whose list at `data_from` is mapped by `choice_value` (default `id`) and `choice_name`
// (default `name`). A choice request that fails leaves its field with an error, never the others.
import { toErrorInfo } from "../errors/index.ts";
import type { FileStore } from "../files/index.ts";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import type { AddressCheck } from "../http/index.ts";
import { readNotation } from "../json/notation.ts";
import type { FormField, JsonValue, Manifest, Step } from "../manifest/types.ts";
import { formFields, isRequiredField } from "../engine/form-check.ts";
import { ENGINE_DEFAULTS } from "../engine/current-step.ts";
import { createRunState } from "../engine/machine.ts";
import { buildRequest } from "../engine/request.ts";
import type { RunContext } from "../engine/types.ts";
import { runScope, secretVariable } from "../engine/variables.ts";
import type { Redactor } from "../redact/index.ts";
import { senderFor } from "./in-process-host.ts";
import { prepareRun } from "./lifecycle.ts";

/** One choice: the value sent as the param, and the label shown. */
export interface FormOption {
  value: string;
  name: string;
}

/** A form field ready for a trigger screen. */
export interface FormFieldView {
  id: string;
  name: string;
  type: FormField["type"];
  description?: string;
  required: boolean;
  /** Choices of a `choice` field, when they could be listed. */
  options?: FormOption[];
  /** Why the choices could not be fetched (masked). */
  optionsError?: string;
}

export interface FormOptionsInput {
  /** A validated manifest. */
  manifest: Manifest;
  /** The hire the run would be for, when known: choice requests may use its props. */
  hire?: Record<string, JsonValue>;
  stored?: Record<string, JsonValue>;
  /** Secret values among the stored fields (see `storedInputs`). */
  storedSecrets?: Array<{ name: string; value: string }>;
  secrets: Record<string, string>;
  oauth?: Record<string, JsonValue>;
  params?: Record<string, JsonValue>;
  redirectUrl?: string;
  /** Required by the sender; choice requests save no files. */
  files: FileStore;
  /** The integration's egress policy (see egress-policy.ts). */
  checkAddress?: AddressCheck;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Every form field with its choices; fetched choices are requested concurrently. */
export async function formFieldViews(input: FormOptionsInput): Promise<FormFieldView[]> {
  // Nothing runs: the context and redactor are a run's, and no step is checked.
  const { context: ctx, redactor } = prepareRun(
    input,
    { ...input, hire: input.hire ?? {} },
    { runId: "form", check: false },
  );
  const send = senderFor(input, "form-options", redactor);
  const views = await Promise.all(
    formFields(input.manifest).map(async (field, index) => {
      const view: FormFieldView = {
        id: field.id,
        name: field.name,
        type: field.type,
        required: isRequiredField(field),
      };
      if (field.description !== undefined) view.description = field.description;
      if (field.type !== "choice") return view;
      if (field.url === undefined) {
        view.options = (field.items ?? []).map((item) => ({ value: item.id, name: item.name }));
        return view;
      }
      const fetched = await fetchChoices(field, index, ctx, input, redactor, send);
      if ("error" in fetched) view.optionsError = fetched.error;
      else view.options = fetched.options;
      return view;
    }),
  );
  return redactor.redact(views);
}

/** Sends the field's choice request once (no retries: a person is waiting) and maps the list. */
async function fetchChoices(
  field: FormField,
  index: number,
  ctx: RunContext,
  input: FormOptionsInput,
  redactor: Redactor,
  send: (request: RequestSpec) => Promise<AttemptOutcome>,
): Promise<{ options: FormOption[] } | { error: string }> {
  const path = `form[${index}]`;
  const step: Step = { url: field.url!, method: field.method ?? "GET" };
  if (field.headers !== undefined) step.headers = field.headers;
  if (field.data !== undefined) step.data = field.data;
  let built;
  const formState = createRunState("form");
  try {
    built = buildRequest(step, runScope(ctx, formState), {
      stepPath: path,
      stepIndex: index,
      manifestHeaders: input.manifest.headers,
      files: {},
      secrets: ctx.secrets,
      secretVariable: secretVariable(ctx, formState),
      defaultTimeoutMs: input.timeoutMs ?? ENGINE_DEFAULTS.defaultTimeoutMs,
      maxRedirects: ENGINE_DEFAULTS.maxRedirects,
    });
  } catch (error) {
    const info = toErrorInfo(error);
    return { error: `${info.path ?? path}: ${info.message}` };
  }
  for (const derived of built.derived) redactor.add(derived.name, derived.value);
  const outcome = await send(built.request);
  const request = `${built.request.method} ${built.request.url}`;
  if (outcome.type === "error") return { error: `${request} failed: ${outcome.error.message}` };
  const response = outcome.response;
  if (response.status < 200 || response.status >= 300)
    return { error: `${request} answered ${response.status}, not a 2xx status` };
  if (response.json === undefined) return { error: `${request} did not answer with JSON` };
  const from = field.data_from ?? "";
  const list = readNotation(response.json, from);
  if (!list.found) return { error: `data_from ${JSON.stringify(from)} not found in the response` };
  if (!Array.isArray(list.value))
    return {
      error: `data_from ${JSON.stringify(from)} is not a list in the response (got ${kindOf(list.value)})`,
    };
  return { options: mapChoices(list.value as JsonValue[], field) };
}

/**
 * Each item's value at `choice_value` and label at `choice_name` (notation, so `user.id` works).
 * Items without a value cannot be chosen and are left out; an item without a label shows its value.
 */
export function mapChoices(items: readonly JsonValue[], field: FormField): FormOption[] {
  const valueKey = field.choice_value ?? "id";
  const nameKey = field.choice_name ?? "name";
  const options: FormOption[] = [];
  for (const item of items) {
    const value = scalarText(readNotation(item, valueKey));
    if (value === undefined) continue;
    options.push({ value, name: scalarText(readNotation(item, nameKey)) ?? value });
  }
  return options;
}

function scalarText(lookup: ReturnType<typeof readNotation>): string | undefined {
  if (!lookup.found) return undefined;
  const value = lookup.value;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : typeof value;
}
