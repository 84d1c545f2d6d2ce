// TypeScript shape of a manifest after validation (docs/manifest.md). The zod schema in
// schema.ts is checked against these types, so the two cannot drift apart.
import type { Problem } from "../errors/index.ts";
import type { JsonValue } from "../json/json-value.ts";

export const HTTP_METHODS = Object.freeze([
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
] as const);
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A hire's standard props (docs/manifest.md); any other name is an extra prop. */
export const STANDARD_HIRE_PROPS = Object.freeze([
  "email",
  "first_name",
  "last_name",
  "position",
  "department",
  "start",
  "manager",
  "manager_email",
  "buddy",
  "buddy_email",
] as const);

/** A JSON value as found in manifests, responses and stored fields (defined in json/). */
export type { JsonValue };

export interface ContinueIf {
  response_notation: string;
  value: JsonValue;
}

export interface Polling {
  /** Seconds between attempts (fractions allowed, > 0, ≤ 3600). */
  interval: number;
  /** Attempts in total (1–100). */
  amount: number;
}

export type RetryOn = "network" | "timeout" | "5xx" | number;

export interface RetryPolicy {
  /** Retries after the first attempt (0 turns retries off). */
  max: number;
  on?: RetryOn[];
}

export interface Step {
  url: string;
  method?: HttpMethod;
  data?: JsonValue;
  headers?: Record<string, string>;
  cast_data_to_json?: boolean;
  store_data?: Record<string, string>;
  continue_if?: ContinueIf;
  polling?: Polling;
  save_as_file?: string;
  files?: Record<string, string>;
  status_code?: Array<number | string>;
  extra_headers?: "pritunl";
  // hirewire additions
  name?: string;
  timeout?: number;
  retry?: RetryPolicy;
  expected?: string;
}

export interface InitialDataFormItem {
  id: string;
  name: string;
  description?: string;
  secret?: boolean;
}

export interface ExtraUserInfoItem {
  id: string;
  name: string;
  description?: string;
}

export interface ExistsBlock {
  url: string;
  method?: HttpMethod;
  data?: JsonValue;
  headers?: Record<string, string>;
  cast_data_to_json?: boolean;
  status_code?: Array<number | string>;
  expected?: string;
  extra_headers?: "pritunl";
  timeout?: number;
  /** Written by older ChiefOnboarding versions; accepted with a warning. */
  fail_when_4xx_response_code?: boolean;
}

export interface OAuthBlock {
  authenticate_url?: string;
  access_token?: Step;
  refresh?: Step;
  without_code?: boolean;
}

export interface FormChoiceItem {
  id: string;
  name: string;
}

export interface FormField {
  id: string;
  name: string;
  type: "input" | "choice";
  description?: string;
  required?: boolean | undefined;
  items?: FormChoiceItem[];
  url?: string;
  method?: HttpMethod;
  headers?: Record<string, string>;
  data?: JsonValue;
  data_from?: string;
  choice_value?: string;
  choice_name?: string;
}

export interface Notification {
  type: "email" | "text";
  to: string;
  subject?: string;
  message: string;
}

export interface ProvisioningManifest {
  $schema?: string;
  execute: Step[];
  headers?: Record<string, string>;
  initial_data_form?: InitialDataFormItem[];
  extra_user_info?: ExtraUserInfoItem[];
  form?: FormField[];
  exists?: ExistsBlock;
  revoke?: Step[];
  oauth?: OAuthBlock;
  post_execute_notification?: Notification[];
}

export interface SyncUsersManifest {
  $schema?: string;
  execute: Step[];
  action: "create" | "update";
  data_from?: string;
  data_structure: Record<string, string>;
  next_page?: string;
  next_page_token_from?: string;
  next_page_from?: string;
  amount_pages_to_fetch?: number;
  schedule?: string;
  headers?: Record<string, string>;
  initial_data_form?: InitialDataFormItem[];
  oauth?: OAuthBlock;
}

export type Manifest = ProvisioningManifest | SyncUsersManifest;

export function isSyncUsersManifest(m: Manifest): m is SyncUsersManifest {
  return "action" in m || "data_structure" in m;
}

/**
 * One problem found by validation: the one problem shape (errors/), always placed and graded.
 * `severity: "warning"` never makes a manifest invalid.
 */
export type ValidationProblem = Problem & { path: string; severity: "error" | "warning" };

export type ValidationResult =
  | { ok: true; manifest: Manifest; warnings: ValidationProblem[] }
  | { ok: false; problems: ValidationProblem[] };
