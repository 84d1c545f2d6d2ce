// The zod schema of a manifest (docs/manifest.md): the structure the validator checks
// and the source of the JSON Schema for editors. Every object is strict, so a typo'd key is
// reported instead of silently ignored. Error texts here are the sentence after the path; the
// issue mapper appends the actual value.
import { z } from "zod";
import {
  HTTP_METHODS,
  type ExistsBlock,
  type ExtraUserInfoItem,
  type FormField,
  type InitialDataFormItem,
  type JsonValue,
  type Notification,
  type OAuthBlock,
  type ProvisioningManifest,
  type Step,
  type SyncUsersManifest,
} from "./types.ts";

/** The `$id` of the published JSON Schema. */
export const MANIFEST_SCHEMA_ID = "https://hirewire.dev/schema/manifest.schema.json";

/** Matches only when A and B are the same type (used to pin the schema to types.ts). */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertSameType<_T extends true>(): void {}

const STATUS_MESSAGE =
  "must be an HTTP status code from 100 to 599, as a number or a numeric string";
const IDENTIFIER = /^[A-Za-z0-9_]+$/;
const IDENTIFIER_MESSAGE = 'must contain only letters, digits and "_"';

function intRange(
  min: number,
  max: number,
  error = `must be an integer from ${min} to ${max}`,
): z.ZodInt {
  return z.int({ error }).min(min, { error }).max(max, { error });
}

function seconds(max: number): z.ZodNumber {
  const error = `must be a number of seconds greater than 0 and at most ${max}`;
  return z.number({ error }).gt(0, { error }).lte(max, { error });
}

const text = () => z.string({ error: "must be a string" });
const flag = () => z.boolean({ error: "must be true or false" });
const identifier = () => text().regex(IDENTIFIER, { error: IDENTIFIER_MESSAGE });

const jsonValue = (z.json() as z.ZodType<JsonValue>).meta({ id: "JsonValue" });
const method = z.enum(HTTP_METHODS).describe("HTTP method; default POST (as ChiefOnboarding).");
const headers = z
  .record(text(), text())
  .describe("HTTP headers; names and values are templated. Names compare case-insensitively.");
const statusCodes = z
  .array(
    z.union(
      [
        intRange(100, 599, STATUS_MESSAGE),
        z.string().regex(/^[1-5][0-9]{2}$/, { error: STATUS_MESSAGE }),
      ],
      { error: STATUS_MESSAGE },
    ),
  )
  .describe('Accepted response statuses, e.g. [200, "201"]; default: any 2xx.');
const extraHeaders = z
  .literal("pritunl")
  .describe("Sign the request with Pritunl's HMAC headers from the secrets.");
const timeout = seconds(3600).describe("Seconds to wait for each attempt; default 30.");
const fileName = text()
  .regex(/^(?!.*\.\.)[^/\\]+$/, {
    error: 'must be a non-empty file name without "/", "\\" or ".."',
  })
  .describe("Keep the response body as a run file of this name.");

const continueIf = z
  .strictObject({
    response_notation: text().describe("Dotted path into the JSON response, e.g. data.status."),
    value: jsonValue.describe("The rendered value must equal the one at response_notation."),
  })
  .describe("Continue only when the response matches; otherwise the run is blocked (or polled).");

const polling = z
  .strictObject({
    interval: seconds(3600).describe("Seconds between attempts (fractions allowed)."),
    amount: intRange(1, 100).describe("Attempts in total."),
  })
  .describe("Repeat the request until continue_if matches.");

const RETRY_ON_MESSAGE =
  'must be "network", "timeout", "5xx" or an HTTP status code from 100 to 599';
const retryOn = z.union(
  [z.enum(["network", "timeout", "5xx"]), intRange(100, 599, RETRY_ON_MESSAGE)],
  {
    error: RETRY_ON_MESSAGE,
  },
);

const retry = z
  .strictObject({
    max: intRange(0, 10).describe("Retries after the first attempt; 0 turns retries off."),
    on: z.array(retryOn).optional().describe("What is retried; default every transient failure."),
  })
  .describe("Retry transient failures with backoff (also for POST and PATCH).");

/** One step of `execute` / `revoke` and the OAuth requests (docs/manifest.md). */
const stepSchema = z
  .strictObject({
    url: text().describe("Absolute http(s) URL; templated."),
    method: method.optional(),
    data: jsonValue.optional().describe("The request body; every string (keys too) is templated."),
    headers: headers.optional(),
    cast_data_to_json: flag()
      .optional()
      .describe("false: send the rendered data as text, verbatim. Default true."),
    store_data: z
      .record(
        text().regex(/^[A-Za-z0-9_-]+$/, {
          error: 'must be a stored-field name of letters, digits, "_" and "-"',
        }),
        text(),
      )
      .optional()
      .describe(
        "Stored-field name → notation into the JSON response; kept for later steps and runs.",
      ),
    continue_if: continueIf.optional(),
    polling: polling.optional(),
    save_as_file: fileName.optional(),
    files: z
      .record(text(), text())
      .optional()
      .describe("Multipart form field → name of a file saved by an earlier step."),
    status_code: statusCodes.optional(),
    extra_headers: extraHeaders.optional(),
    name: text().optional().describe("A label shown in logs (hirewire)."),
    timeout: timeout.optional(),
    retry: retry.optional(),
    expected: text().optional().describe("Text the response must contain, else the step fails."),
  })
  .meta({ id: "Step", description: "One HTTP request." });

const steps = (what: string) =>
  z.array(stepSchema).min(1, { error: "must be a non-empty array" }).describe(what);

const initialDataFormItem = z.strictObject({
  id: identifier().describe("Variable name of the secret in templates."),
  name: text().describe(
    'Label asked from the admin; "generate" makes 16 random characters per run.',
  ),
  description: text().optional().describe("Help text shown to the admin: where to find the value."),
  secret: flag().optional().describe("false: the value is not masked in logs. Default true."),
});

const extraUserInfoItem = z.strictObject({
  id: identifier().describe("Variable name; must exist in the hire's stored fields or run params."),
  name: text().describe("Label of the value."),
  description: text().optional().describe("Help text: where the value comes from."),
});

const existsBlock = z
  .strictObject({
    url: text().describe("Absolute http(s) URL; templated."),
    method: method.optional(),
    data: jsonValue.optional().describe("The request body; every string (keys too) is templated."),
    headers: headers.optional(),
    cast_data_to_json: flag()
      .optional()
      .describe("false: send the rendered data as text, verbatim. Default true."),
    status_code: statusCodes.optional(),
    expected: text().optional().describe("The user exists when the response text contains this."),
    extra_headers: extraHeaders.optional(),
    timeout: timeout.optional(),
    fail_when_4xx_response_code: flag()
      .optional()
      .meta({ deprecated: true, description: "Removed upstream in 2024; use status_code." }),
  })
  .describe("A request telling whether the user already exists.");

const oauthBlock = z
  .strictObject({
    authenticate_url: text().optional().describe("Where the admin is sent to authorize."),
    access_token: stepSchema.optional().describe("Request run on the callback with {{ code }}."),
    refresh: stepSchema.optional().describe("Request run when the token is expiring."),
    without_code: flag()
      .optional()
      .describe("true: the callback needs no code, or the service connects at once."),
  })
  .describe("OAuth 2 authorization; tokens are available as {{ oauth.* }}.");

const formField = z.strictObject({
  id: identifier().describe("Variable name of the answer in templates."),
  name: text().describe("Label shown to the person answering."),
  type: z.enum(["input", "choice"]).describe("input: free text; choice: one of the items."),
  description: text().optional().describe("Help text shown with the field."),
  required: flag().optional().describe("false makes the field optional. Default true."),
  items: z
    .array(
      z.strictObject({
        id: text().describe("The value given to templates when chosen."),
        name: text().describe("The label shown for this choice."),
      }),
    )
    .optional()
    .describe('Fixed choices, e.g. [{"id": "233", "name": "Support"}].'),
  url: text().optional().describe("Request giving the choices."),
  method: method.optional(),
  headers: headers.optional(),
  data: jsonValue.optional().describe("The body of the request giving the choices; templated."),
  data_from: text().optional().describe("Notation of the list of choices in the response."),
  choice_value: text().optional().describe("Key of a choice's value; default id."),
  choice_name: text().optional().describe("Key of a choice's label; default name."),
});

const notification = z.strictObject({
  type: z
    .enum(["email", "text"])
    .describe("email: sent over the operator's SMTP server; text: a text message."),
  to: text().describe("Email address or phone number; templated, e.g. {{ manager_email }}."),
  subject: text().optional().describe("Subject of an email; templated."),
  message: text().describe("The plain-text message; templated."),
});

const common = {
  $schema: text().optional().describe("URL of this JSON Schema, for editors."),
  headers: headers.optional().describe("Headers of every step that has no headers of its own."),
  initial_data_form: z
    .array(initialDataFormItem)
    .optional()
    .describe("Secrets the admin fills in once per integration."),
  oauth: oauthBlock.optional(),
};

/** A provisioning (or webhook) manifest. */
export const provisioningSchema = z
  .strictObject({
    ...common,
    execute: steps("The requests run in order for a hire."),
    extra_user_info: z
      .array(extraUserInfoItem)
      .optional()
      .describe("Per-hire values that must exist before a run."),
    form: z.array(formField).optional().describe("Per-run fields asked when the run is triggered."),
    exists: existsBlock.optional(),
    revoke: steps("The requests that remove the user's access.").optional(),
    post_execute_notification: z
      .array(notification)
      .optional()
      .describe("Messages sent after a successful run."),
  })
  .meta({ title: "Provisioning manifest" });

/** A sync-users manifest (one with `action` or `data_structure`). */
export const syncUsersSchema = z
  .strictObject({
    ...common,
    execute: steps("The requests fetching the list of users."),
    action: z
      .enum(["create", "update"])
      .describe("create adds hires; update writes stored fields."),
    data_from: text().optional().describe("Notation of the list of users in the response."),
    data_structure: z
      .record(text(), text())
      .describe("Hire property → notation inside one user of the list."),
    next_page: text().optional().describe("URL of the next page, with {{ NEXT_PAGE_TOKEN }}."),
    next_page_token_from: text().optional().describe("Notation of the next page token."),
    next_page_from: text().optional().describe("Notation of the next page's URL."),
    amount_pages_to_fetch: intRange(1, 1000).optional().describe("Pages at most; default 5."),
    schedule: text().optional().describe('Cron expression (5 fields), e.g. "0 6 * * *".'),
  })
  .meta({ title: "Sync-users manifest" });

/** Either kind, as editors see it (the validator picks the kind itself, see isSyncUsersInput). */
export const manifestSchema = z.union([provisioningSchema, syncUsersSchema]).meta({
  title: "hirewire manifest",
  description: "A ChiefOnboarding integration manifest, as run by hirewire.",
});

assertSameType<Equals<z.output<typeof stepSchema>, Step>>();
assertSameType<Equals<z.output<typeof initialDataFormItem>, InitialDataFormItem>>();
assertSameType<Equals<z.output<typeof extraUserInfoItem>, ExtraUserInfoItem>>();
assertSameType<Equals<z.output<typeof existsBlock>, ExistsBlock>>();
assertSameType<Equals<z.output<typeof oauthBlock>, OAuthBlock>>();
assertSameType<Equals<z.output<typeof formField>, FormField>>();
assertSameType<Equals<z.output<typeof notification>, Notification>>();
assertSameType<Equals<z.output<typeof provisioningSchema>, ProvisioningManifest>>();
assertSameType<Equals<z.output<typeof syncUsersSchema>, SyncUsersManifest>>();

/** Which schema applies: a manifest with `action` or `data_structure` is a sync-users manifest. */
export function isSyncUsersInput(input: unknown): boolean {
  return (
    typeof input === "object" &&
    input !== null &&
    !Array.isArray(input) &&
    (Object.hasOwn(input, "action") || Object.hasOwn(input, "data_structure"))
  );
}
