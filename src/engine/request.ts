// Turns one manifest step into a RequestSpec: every template rendered, headers merged, Basic auth
// encoded and the body encoded by Content-Type (docs/manifest.md). Anything that cannot be
// rendered throws before a byte is sent — hirewire never sends a half-rendered request.
import { HirewireError, hirewireError, placeError } from "../errors/index.ts";
import type { FileRef, RequestBody, RequestSpec } from "../exchange/types.ts";
import type { HttpMethod, JsonValue, Step } from "../manifest/types.ts";
import { renderData, renderTemplate, type RenderOptions, type Scope } from "../template/index.ts";
import { formatPath } from "../manifest/path.ts";

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
  /** Render options for the template at `path` (dry-run placeholders for values known only at run time). */
  renderFor?: (path: string) => RenderOptions;
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

export function buildRequest(step: Step, scope: Scope, options: BuildOptions): BuiltRequest {
  const at = (path: string) => `${options.stepPath}.${path}`;
  const derived: Array<{ name: string; value: string }> = [];
  const secretVariable = options.secretVariable;
  const provenance = (inUrl: boolean): RenderOptions["onSubstitute"] =>
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
  // A run renders with the same options at every path (the path only names an error), so they
  // are made once; a dry-run's `renderFor` gives each path its own.
  const renderFor = options.renderFor;
  const substitute = provenance(false);
  const fixed: RenderOptions = substitute === undefined ? NO_OPTIONS : { onSubstitute: substitute };
  const optionsAt = (path: TemplatePath): RenderOptions =>
    renderFor === undefined ? fixed : { ...renderFor(pathText(path)), onSubstitute: substitute };
  const render = (source: string, path: TemplatePath) =>
    renderAt(source, scope, path, optionsAt(path), options.stepIndex);
  const method: HttpMethod = step.method ?? "POST";

  const urlPath = at("url");
  const urlRender = placeholderAware(renderFor?.(urlPath));
  const urlSubstitute = provenance(true);
  const url =
    options.literalUrl === true
      ? step.url
      : renderAt(
          step.url,
          scope,
          urlPath,
          renderFor === undefined
            ? urlSubstitute === undefined
              ? NO_OPTIONS
              : { onSubstitute: urlSubstitute }
            : { ...renderFor(urlPath), onSubstitute: urlSubstitute, ...urlRender.options },
          options.stepIndex,
        );
  // A placeholder (`<responses.0.next>`) is no URL to judge: a URL that needs a run-time value is
  // checked when its step is rendered with that value, as a step error (docs/manifest.md, URLs).
  if (!urlRender.used()) assertAbsoluteUrl(url, urlPath, options.stepIndex);

  const useStepHeaders = step.headers !== undefined && Object.keys(step.headers).length > 0;
  const source = useStepHeaders ? step.headers! : (options.manifestHeaders ?? {});
  const sourcePath = useStepHeaders ? at("headers") : "headers";
  const headers: Array<[string, string]> = [];
  for (const rawName in source) {
    if (!Object.hasOwn(source, rawName)) continue;
    const rawValue = source[rawName]!;
    const headerPath: TemplatePath = { base: sourcePath, key: rawName };
    const name = render(rawName, headerPath);
    let value = render(rawValue, headerPath);
    if (name.toLowerCase() === "authorization") {
      const encoded = encodeBasicAuth(value);
      if (encoded !== value) {
        derived.push({ name: "BASIC_CREDENTIAL", value: encoded.slice(encoded.indexOf(" ") + 1) });
        value = encoded;
      }
    }
    setHeader(headers, name, value);
  }

  const body = encodeBody(step, headers, scope, options, optionsAt);
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
  if (step.save_as_file !== undefined)
    request.saveAs = render(step.save_as_file, at("save_as_file"));
  if (step.extra_headers === "pritunl") request.sign = pritunlSigning(options, at("extra_headers"));
  return { request, derived };
}

const NO_OPTIONS: RenderOptions = Object.freeze({});

/**
 * Where a template sits in the manifest, for errors and a dry-run's `renderFor`: a path, or a
 * key under a base path, written out only when it is needed (a run renders its headers on every
 * attempt, and formatting each key's path is most of that work).
 */
type TemplatePath = string | { base: string; key: string };

function pathText(path: TemplatePath): string {
  return typeof path === "string" ? path : keyPath(path.base, path.key);
}

/** `base.key`, or `base["odd key"]`. */
function keyPath(base: string, key: string): string {
  return `${base}${formatPath([key]).replace(/^(?!\[)/, ".")}`;
}

function encodeBody(
  step: Step,
  headers: Array<[string, string]>,
  scope: Scope,
  options: BuildOptions,
  optionsAt: (path: TemplatePath) => RenderOptions,
): RequestBody {
  const at = `${options.stepPath}.data`;
  const data =
    step.data === undefined
      ? undefined
      : renderData(step.data, scope, { ...optionsAt(at), basePath: at });

  if (step.files !== undefined && Object.keys(step.files).length > 0) {
    removeHeader(headers, "content-type");
    const fields: Array<{ name: string; value: string }> = [];
    if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      for (const [name, value] of Object.entries(data))
        fields.push({ name, value: typeof value === "string" ? value : JSON.stringify(value) });
    }
    const files = Object.entries(step.files).map(([field, rawName]) => {
      const filePath = keyPath(`${options.stepPath}.files`, field);
      const name = renderAt(rawName, scope, filePath, optionsAt(filePath), options.stepIndex);
      return { field, file: savedFile(name, filePath, options) };
    });
    return { kind: "multipart", fields, files };
  }

  if (data === undefined) return { kind: "none" };

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

/** Wraps render options so the caller can tell whether a placeholder stood in for a value. */
function placeholderAware(options: RenderOptions | undefined): {
  options: RenderOptions;
  used: () => boolean;
} {
  const missing = options?.missing;
  if (missing === undefined) return { options: options ?? {}, used: () => false };
  let used = false;
  return {
    options: {
      ...options,
      missing: (expr, path) => {
        const placeholder = missing(expr, path);
        if (placeholder !== undefined) used = true;
        return placeholder;
      },
    },
    used: () => used,
  };
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

function renderAt(
  source: string,
  scope: Scope,
  path: TemplatePath,
  options: RenderOptions,
  stepIndex: number,
): string {
  try {
    return renderTemplate(source, scope, options);
  } catch (error) {
    if (error instanceof HirewireError)
      throw placeError(error, { path: pathText(path), step: stepIndex });
    throw error;
  }
}

const ABSOLUTE_HTTP = /^https?:\/\//;

function assertAbsoluteUrl(url: string, path: string, step: number): void {
  // What nearly every URL looks like: `canParse` builds no URL object, and a URL that parses
  // after a lower-case "http://" or "https://" has that protocol.
  if (ABSOLUTE_HTTP.test(url) && URL.canParse(url)) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw hirewireError("URL_INVALID", "notAbsolute", { url }, { path, step });
  }
}

/**
 * `Basic user:pass` (a colon after rendering) is sent as `Basic base64(user:pass)`, as
 * ChiefOnboarding does; `Basic <token without a colon>` is taken as already encoded.
 */
function encodeBasicAuth(value: string): string {
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
  for (let i = headers.length - 1; i >= 0; i--)
    if (headers[i]![0].toLowerCase() === lower) return headers[i]![1];
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
