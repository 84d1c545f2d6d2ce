// Turns one manifest step into a RequestSpec: every template rendered, headers merged, Basic auth
// encoded and the body encoded by Content-Type (docs/manifest.md). Anything that cannot be
// rendered throws before a byte is sent — hirewire never sends a half-rendered request.
import { hirewireError } from "../errors/index.ts";
import { NO_BODY, type FileRef, type RequestBody, type RequestSpec } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import type { RenderOptions, Scope, TemplateExpr } from "../template/index.ts";
import {
  assertAbsoluteUrl,
  planStep,
  renderDataPlan,
  renderText,
  type StepPlan,
} from "./request-plan.ts";

export interface BuildOptions {
  /** Path prefix of the step in the manifest, e.g. `execute[2]`. */
  stepPath: string;
  stepIndex: number;
  /** The manifest's default headers. */
  manifestHeaders: Record<string, string> | undefined;
  files: Record<string, FileRef>;
  defaultTimeoutMs: number;
  maxRedirects: number;
  /** Added as `Idempotency-Key` to POST/PATCH when set and the step gives none. */
  idempotencyKey?: string;
  /** Secrets, for `extra_headers: "pritunl"` signing (API_TOKEN and API_SECRET, or PRITUNL_*). */
  secrets?: Record<string, string>;
  /** The URL is already rendered (a sync page from a response): send it as it is. */
  literalUrl?: boolean;
  /**
   * Dry-run placeholders: called for a variable not found, with the path of the template it is
   * in; a string stands in for the whole expression (`<responses.0.id>`), undefined throws.
   */
  missing?: (expr: TemplateExpr, path: string) => string | undefined;
  /** Dry-run: a file name holding a run-time placeholder (`<responses.0.name>`) cannot be checked yet. */
  placeholderFiles?: boolean;
  /**
   * The masking name of a variable path that reads a secret (see variables.ts secretVariable):
   * what each such expression renders to, after any filters, is returned in `derived`.
   */
  secretVariable?: (segments: readonly string[]) => string | undefined;
}

export interface BuiltRequest {
  request: RequestSpec;
  /**
   * Values derived from secrets that must be masked as a whole: what a secret rendered to through
   * its filters (and, in the URL, as the URL parser normalises it), the encoded Basic credential.
   */
  derived: Array<{ name: string; value: string }>;
}

// Filters whose result carries nothing of the value's text.
const CONTENT_FREE_FILTERS = new Set(["length"]);

/** Renders the step's plan (made once per step of a prepared manifest) into a request. */
export function buildRequest(step: Step, scope: Scope, options: BuildOptions): BuiltRequest {
  const plan = planStep(step, options.stepPath, options.manifestHeaders);
  const stepIndex = options.stepIndex;
  const derived: Array<{ name: string; value: string }> = [];
  // One set of render options for the whole request: what differs per template (its path, and
  // whether it is the URL) is handed over or read from these two variables.
  let inUrl = false;
  let placeholders = 0;
  const secretVariable = options.secretVariable;
  const onSubstitute: RenderOptions["onSubstitute"] =
    secretVariable === undefined
      ? undefined
      : (expr, text) => {
          if (expr.filters.some((filter) => CONTENT_FREE_FILTERS.has(filter.name))) return;
          const name = secretVariable(expr.segments);
          if (name === undefined) return;
          // Unfiltered, the text is the secret itself, which is masked already.
          if (expr.filters.length > 0) derived.push({ name, value: text });
          if (inUrl) for (const form of urlNormalised(text)) derived.push({ name, value: form });
        };
  const missing = options.missing;
  const renderOptions: RenderOptions =
    missing === undefined
      ? onSubstitute === undefined
        ? NO_OPTIONS
        : { onSubstitute }
      : {
          onSubstitute,
          missing: (expr, path) => {
            const placeholder = missing(expr, path ?? "");
            if (placeholder !== undefined) placeholders += 1;
            return placeholder;
          },
        };

  let url: string;
  if (options.literalUrl === true) url = step.url;
  else {
    inUrl = true;
    const before = placeholders;
    url = renderText(plan.url, scope, renderOptions, stepIndex);
    inUrl = false;
    // A placeholder (`<responses.0.next>`) is no URL to judge: a URL that needs a run-time value
    // is checked when its step is rendered with that value, as a step error (docs/manifest.md).
    if (placeholders === before && !plan.urlChecked) {
      assertAbsoluteUrl(url, plan.url.path, stepIndex);
      if (plan.url.parts === undefined) plan.urlChecked = true;
    }
  }

  const headers: Array<[string, string]> = [];
  for (const header of plan.headers) {
    const name = renderText(header.name, scope, renderOptions, stepIndex);
    let value = renderText(header.value, scope, renderOptions, stepIndex);
    if ((header.lower ?? name.toLowerCase()) === "authorization") {
      const encoded = encodeBasicAuth(value);
      if (encoded !== value) {
        derived.push({ name: "BASIC_CREDENTIAL", value: encoded.slice(encoded.indexOf(" ") + 1) });
        value = encoded;
      }
    }
    if (plan.distinctNames) headers.push([name, value]);
    else setHeader(headers, name, value);
  }

  const body = encodeBody(step, plan, headers, scope, renderOptions, options);
  const method = plan.method;
  if (
    options.idempotencyKey !== undefined &&
    (method === "POST" || method === "PATCH") &&
    getHeader(headers, "idempotency-key") === undefined
  ) {
    headers.push(["Idempotency-Key", options.idempotencyKey]);
  }

  const request: RequestSpec = {
    method,
    url,
    headers,
    body,
    timeoutMs:
      step.timeout !== undefined ? Math.round(step.timeout * 1000) : options.defaultTimeoutMs,
    maxRedirects: options.maxRedirects,
  };
  if (plan.saveAs !== undefined)
    request.saveAs = renderText(plan.saveAs, scope, renderOptions, stepIndex);
  if (step.extra_headers === "pritunl")
    request.sign = pritunlSigning(options, plan.extraHeadersPath);
  return { request, derived };
}

const NO_OPTIONS: RenderOptions = Object.freeze({});

function encodeBody(
  step: Step,
  plan: StepPlan,
  headers: Array<[string, string]>,
  scope: Scope,
  renderOptions: RenderOptions,
  options: BuildOptions,
): RequestBody {
  const data =
    plan.data === undefined ? undefined : renderDataPlan(plan.data, scope, renderOptions);

  if (plan.files !== undefined) {
    removeHeader(headers, "content-type");
    const fields: Array<{ name: string; value: string }> = [];
    if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      for (const [name, value] of Object.entries(data))
        fields.push({ name, value: typeof value === "string" ? value : JSON.stringify(value) });
    }
    const files = plan.files.map(({ field, name: namePlan }) => {
      const name = renderText(namePlan, scope, renderOptions, options.stepIndex);
      return { field, file: savedFile(name, namePlan.path, options) };
    });
    return { kind: "multipart", fields, files };
  }

  if (data === undefined) return NO_BODY;

  const contentType = getHeader(headers, "content-type")?.toLowerCase() ?? "";
  if (step.cast_data_to_json === false) {
    return { kind: "text", text: typeof data === "string" ? data : JSON.stringify(data) };
  }
  if (typeof data === "string") return { kind: "text", text: data };
  if (
    contentType.startsWith("application/x-www-form-urlencoded") &&
    data !== null &&
    typeof data === "object" &&
    !Array.isArray(data)
  ) {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(data))
      form.append(name, typeof value === "string" ? value : JSON.stringify(value));
    return { kind: "text", text: form.toString() };
  }
  if (contentType === "") headers.push(["Content-Type", "application/json"]);
  return { kind: "text", text: JSON.stringify(data) };
}

/**
 * Pritunl signs each request with HMAC-SHA256 of the API secret; the sender adds the headers. The
 * secrets are API_TOKEN and API_SECRET, or PRITUNL_API_TOKEN and PRITUNL_API_SECRET, the names
 * older ChiefOnboarding manifests use.
 */
function pritunlSigning(options: BuildOptions, path: string): NonNullable<RequestSpec["sign"]> {
  const token = options.secrets?.API_TOKEN ?? options.secrets?.PRITUNL_API_TOKEN;
  const secret = options.secrets?.API_SECRET ?? options.secrets?.PRITUNL_API_SECRET;
  const missing = [
    token === undefined ? "API_TOKEN" : "",
    secret === undefined ? "API_SECRET" : "",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw hirewireError(
      "INPUT_MISSING",
      "pritunlSecrets",
      { missing },
      { path, step: options.stepIndex },
    );
  }
  return { scheme: "pritunl", token: token!, secret: secret! };
}

function savedFile(name: string, path: string, options: BuildOptions): FileRef {
  const file = options.files[name];
  if (file !== undefined) return file;
  if (options.placeholderFiles === true && /<[^>]+>/.test(name))
    return { name, ref: `<file ${name}>`, size: 0, contentType: "application/octet-stream" };
  const saved = Object.keys(options.files);
  throw hirewireError(
    "FILE_NOT_SAVED",
    "notSaved",
    { name, saved },
    { path, step: options.stepIndex },
  );
}

/**
 * How the WHATWG URL parser (which the HTTP client uses) writes `text` in a path and in a query,
 * when that differs from `text`: the target sees, and may echo, these forms.
 */
function urlNormalised(text: string): string[] {
  const forms = new Set<string>();
  try {
    forms.add(new URL(`http://h/${text}`).pathname.slice(1));
    forms.add(new URL(`http://h/?${text}`).search.slice(1));
  } catch {
    // Text that cannot sit in a URL is refused by assertAbsoluteUrl.
  }
  forms.delete(text);
  return [...forms];
}

/**
 * `Basic user:pass` (a colon after rendering) is sent as `Basic base64(user:pass)`, as
 * ChiefOnboarding does; `Basic <token without a colon>` is taken as already encoded.
 */
function encodeBasicAuth(value: string): string {
  // Most Authorization values are Bearer tokens: no pattern to run on them.
  if (value.length < 7 || (value.charCodeAt(0) | 0x20) !== 0x62) return value;
  const match = /^(basic)\s+(.*)$/is.exec(value);
  if (match === null || !match[2]!.includes(":")) return value;
  return `${match[1]} ${base64Utf8(match[2]!)}`;
}

/** Base64 of the UTF-8 bytes of `text`, without Buffer (the engine is pure). */
function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function getHeader(headers: Array<[string, string]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (let i = headers.length - 1; i >= 0; i--) {
    const header = headers[i]!;
    // Lower-casing makes a new string: only for a name that may match.
    if (header[0].length === lower.length && header[0].toLowerCase() === lower) return header[1];
  }
  return undefined;
}

function setHeader(headers: Array<[string, string]>, name: string, value: string): void {
  removeHeader(headers, name);
  headers.push([name, value]);
}

function removeHeader(headers: Array<[string, string]>, name: string): void {
  const lower = name.toLowerCase();
  for (let i = headers.length - 1; i >= 0; i--)
    if (headers[i]![0].toLowerCase() === lower) headers.splice(i, 1);
}

export type { JsonValue };
