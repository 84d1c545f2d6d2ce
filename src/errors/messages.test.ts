// Golden sentences: every situation of every code in the catalog, with example facts and the exact
// sentence they render. A new code or situation without a golden here fails (tsc and this test).
import { describe, expect, it } from "vitest";
import { ERROR_CATALOG, type ErrorCode } from "./catalog.ts";
import { hirewireError, problem } from "./hirewire-error.ts";
import { ERROR_MESSAGES, errorMessage, type ErrorFacts, type ErrorSituation } from "./messages.ts";

type Goldens = {
  [C in ErrorCode]: { [S in ErrorSituation<C>]: [facts: ErrorFacts<C, S>, sentence: string] };
};

const response = '{"error":"nope"}';

const GOLDEN: Goldens = {
  VALIDATION: {
    manifestProblems: [
      { count: 2, first: { path: "execute[0].url", message: "is required" } },
      "the manifest has 2 problems; first: execute[0].url: is required",
    ],
    savedManifestProblem: [
      { problem: "execute[0].polling.amount must be at most 1000" },
      "the saved manifest is no longer valid: execute[0].polling.amount must be at most 1000",
    ],
    savedManifestInvalid: [
      {},
      "the saved manifest is no longer valid; fix it with PUT /api/integrations/{id}",
    ],
    noBlock: [{ block: "exists" }, "the manifest has no exists block"],
    notSyncManifest: [
      {},
      'not a sync-users manifest: add "action" and "data_structure" (or use `hirewire run`)',
    ],
    noBlockToRun: [{ block: "revoke" }, "the manifest has no revoke block to run"],
    integrationManifestInvalid: [
      { first: { path: "execute[0].url", message: "is required" } },
      "the integration's manifest is invalid: execute[0].url: is required",
    ],
  },
  INPUT_INVALID: {
    request: [
      { first: { path: "limit", message: "must be at most 500" }, more: 2 },
      "limit must be at most 500 (and 2 more problems)",
    ],
    noBlockToStart: [{ block: "revoke" }, "the manifest has no revoke block"],
    syncOnly: [
      { name: "Directory", integrationId: "int_1" },
      'integration "Directory" is a sync-users manifest and runs only as a sync: start it with POST /api/integrations/int_1/sync, preview it, then apply it',
    ],
    noExistsBlock: [
      {},
      "the manifest has no exists block; add one to check whether a hire has an account",
    ],
    noAuthenticateUrl: [
      {},
      "the manifest's oauth block has no authenticate_url to send the admin to",
    ],
    tokenName: [{ max: 100 }, "a token name must have 1 to 100 characters"],
    reservedSecret: [
      { key: "oauth", integrationId: "int_1" },
      "oauth is reserved for the OAuth tokens; connect with /api/integrations/int_1/oauth/authorize",
    ],
    generatedSecrets: [
      { keys: ["PASSWORD"] },
      'PASSWORD is generated afresh for every run ("name": "generate") and cannot be set',
    ],
    setting: [
      { name: "HIREWIRE_SMTP_PORT", rule: "a port number from 1 to 65535", got: "x" },
      'HIREWIRE_SMTP_PORT must be a port number from 1 to 65535 (got "x")',
    ],
    halfConfigured: [
      { what: "text messages", missing: ["HIREWIRE_TWILIO_SID", "HIREWIRE_TWILIO_FROM"] },
      "text messages are half configured: set HIREWIRE_TWILIO_SID and HIREWIRE_TWILIO_FROM",
    ],
    emptyRecipient: [{}, "the recipient is empty after rendering"],
    formChoice: [
      {
        field: { id: "TEAM", name: "Team" },
        choices: "abcdefghijkl".split("").map((id) => ({ id, name: id.toUpperCase() })),
        got: "z",
      },
      'form answer TEAM (Team) must be one of "a" (A), "b" (B), "c" (C), "d" (D), "e" (E), "f" (F), "g" (G), "h" (H), "i" (I), "j" (J) and 2 more; got "z"',
    ],
    secretKeyLength: [
      { expected: 32, actual: 16 },
      "The secret key must be 32 bytes long, but it is 16 bytes.",
    ],
    secretKeyEncoding: [
      { expected: 32, actual: 3 },
      "The secret key must be 32 bytes encoded as base64, but it decodes to 3 bytes.",
    ],
    noDataDir: [
      { dir: "/srv/data", pass: "the service's --data DIR" },
      "/srv/data holds no hirewire data (no hirewire.sqlite); pass the service's --data DIR",
    ],
    filesDirOutside: [
      { filesDir: "/tmp/f", folder: "/home/ada" },
      "--files-dir /tmp/f must be inside /home/ada, the folder of the --state file, so that `hirewire resume` can find the run's files",
    ],
    unreadableFile: [
      { what: "hire file", file: "ada.json", reason: "no such file" },
      "cannot read hire file ada.json: no such file",
    ],
    fileNotJson: [
      { what: "hire file", file: "ada.json", reason: "Unexpected end of JSON input" },
      "hire file ada.json is not valid JSON: Unexpected end of JSON input",
    ],
    fileShape: [
      { what: "secrets file", file: "s.json", field: "TOKEN", rule: "be a string (got number)" },
      "secrets file s.json: TOKEN must be a string (got number)",
    ],
    paramShape: [{ pair: "TEAM" }, '--param "TEAM" must look like KEY=VALUE'],
    noPostgresTarget: [
      {},
      "Give the PostgreSQL database to copy into with --to postgres://USER:PASSWORD@HOST:5432/DATABASE (or HIREWIRE_DATABASE_URL).",
    ],
    notPostgresUrl: [
      { name: "HIREWIRE_DATABASE_URL" },
      "HIREWIRE_DATABASE_URL must be a postgres:// URL (postgres://USER:PASSWORD@HOST:5432/DATABASE)",
    ],
    noStoreToCopy: [
      { file: "/d/hirewire.sqlite" },
      "There is no hirewire store at /d/hirewire.sqlite to copy.",
    ],
    notJsonData: [
      { what: "hire's props" },
      "The hire's props cannot be saved because it is not valid JSON data.",
    ],
    foreignCursor: [{}, "The page cursor is not one this server returned."],
    tokenRequest: [
      { first: { path: "oauth.access_token.url", message: "is required" } },
      "the token request cannot be sent: oauth.access_token.url: is required",
    ],
    notJsonBody: [{}, "the request body is not valid JSON"],
    notJsonContentType: [
      {},
      "send the request body as JSON with the header Content-Type: application/json",
    ],
  },
  INPUT_MISSING: {
    extraUserInfo: [
      { missing: [{ id: "SLACK_ID", name: "Slack id" }] },
      "the hire is missing extra user info: SLACK_ID (Slack id); add it to the hire's stored fields or pass it as a param",
    ],
    formAnswers: [
      {
        missing: [
          { id: "TEAM", name: "Team" },
          { id: "ROLE", name: "Role" },
        ],
      },
      "the run is missing form answers: TEAM (Team), ROLE (Role); give them as run params (--param ID=value in the CLI)",
    ],
    pritunlSecrets: [
      { missing: ["API_SECRET"] },
      'extra_headers "pritunl" signs with the secrets API_TOKEN and API_SECRET (or PRITUNL_API_TOKEN and PRITUNL_API_SECRET); missing: API_SECRET',
    ],
    notifyNotConfigured: [
      { type: "email", variables: "HIREWIRE_SMTP_HOST and HIREWIRE_SMTP_FROM" },
      "email notifications are not configured: set HIREWIRE_SMTP_HOST and HIREWIRE_SMTP_FROM",
    ],
    secretNotSet: [
      { secret: { id: "TOKEN", name: "API token" }, integrationId: "int_1" },
      "secret TOKEN (API token) is not set; set it with PUT /api/integrations/int_1/secrets",
    ],
    oauthNotConnected: [
      { integrationId: "int_1", withoutCode: true },
      "the integration is not connected over OAuth yet; connect it with /api/integrations/int_1/oauth/authorize (without_code: POST …/oauth/connect)",
    ],
    noPublicUrl: [
      {},
      "the service does not know its public URL, so it has no OAuth callback to give the provider; set HIREWIRE_PUBLIC_URL",
    ],
  },
  INPUT_TOO_LARGE: {
    jsonSize: [
      { what: "a stored field", maxBytes: 64 * 1024, bytes: 70_000 },
      "a stored field may be at most 64 KiB as JSON (this is 69 KiB)",
    ],
    count: [
      { max: 200, what: "secrets per integration", count: 201 },
      "at most 200 secrets per integration are allowed (this would make 201)",
    ],
    requestBody: [
      { maxBytes: 5 * 1024 * 1024 },
      "the request body is larger than the 5 MiB limit of the API",
    ],
  },
  TEMPLATE_SYNTAX: {
    scan: [{ problem: 'unclosed "{{" at offset 4' }, 'unclosed "{{" at offset 4'],
  },
  TEMPLATE_UNDEFINED_VARIABLE: {
    unknown: [
      { variable: "TEAM_ID", hint: '; did you mean "TEAM"?' },
      'unknown variable "TEAM_ID"; did you mean "TEAM"?',
    ],
    notRunYet: [
      { variable: "responses.2.id", step: 1 },
      "responses.2.id refers to a step that has not run yet (this is step 1)",
    ],
  },
  TEMPLATE_FILTER: {
    failed: [
      { reason: "unknown filter upper", expression: "{{ email|upper }}" },
      'unknown filter upper in "{{ email|upper }}"',
    ],
  },
  URL_INVALID: {
    notAbsolute: [
      { url: "/users" },
      'the URL must be absolute http(s) after rendering (got "/users")',
    ],
    unparsable: [{ url: "http//x" }, "http//x is not a valid URL"],
    redirectTarget: [
      { from: "https://a.example/", location: "ftp://b.example/" },
      "https://a.example/ redirected to ftp://b.example/, which is not an http(s) URL",
    ],
    authenticateUrl: [{}, "oauth.authenticate_url must render to an absolute http(s) URL"],
  },
  FILE_NOT_SAVED: {
    notSaved: [
      { name: "Ada.pdf", saved: [] },
      '"Ada.pdf" was not saved by any earlier step; saved: []',
    ],
    badReference: [{ name: "Ada.pdf" }, "Ada.pdf has an invalid storage reference"],
    gone: [{ name: "Ada.pdf" }, "Ada.pdf is no longer in run storage"],
    removedWhileSaving: [
      { name: "Ada.pdf" },
      "Ada.pdf was removed from run storage while it was being saved",
    ],
  },
  HTTP_CONNECTION: {
    refused: [{ target: "127.0.0.1:9" }, "connection refused by 127.0.0.1:9"],
    resetInBody: [{}, "connection reset while reading the response body"],
    reset: [
      { target: "api.example.com:443" },
      "connection reset by api.example.com:443 before a response arrived",
    ],
    dns: [{ host: "nope.example" }, "could not resolve host nope.example"],
    unreachable: [{ target: "10.0.0.1:80" }, "10.0.0.1:80 is unreachable"],
    connectTimeout: [{ target: "10.0.0.1:80" }, "could not connect to 10.0.0.1:80 in time"],
    shortBody: [{}, "response body ended before its announced Content-Length"],
    invalidHttp: [{ target: "a.example:80" }, "a.example:80 sent an invalid HTTP response"],
    tls: [
      { target: "a.example:443", reason: "certificate has expired" },
      "secure connection to a.example:443 failed: certificate has expired",
    ],
    other: [
      { target: "a.example:80", cause: "EPROTO" },
      "connection to a.example:80 failed (EPROTO)",
    ],
    smtp: [
      { server: "smtp.example.com:587", reply: "connect ECONNREFUSED" },
      "could not reach the SMTP server smtp.example.com:587: connect ECONNREFUSED",
    ],
    textApi: [
      { host: "api.twilio.com", reason: "fetch failed" },
      "could not reach the text message API at api.twilio.com: fetch failed",
    ],
  },
  HTTP_TIMEOUT: {
    noResponse: [{ timeoutMs: 30_000 }, "no response within 30 s"],
    smtp: [
      { server: "smtp.example.com:587" },
      "the SMTP server smtp.example.com:587 did not answer in time",
    ],
    deadline: [
      { what: "sending the email", timeoutMs: 250 },
      "sending the email did not finish within 0.25 s",
    ],
  },
  HTTP_STATUS: {
    unexpected: [
      {
        request: "POST https://api.example.com/users",
        status: 500,
        accepted: [200, 201],
        response,
      },
      `POST https://api.example.com/users answered 500, expected one of 200, 201; response: ${response}`,
    ],
    check: [{ status: 500, response }, `the check answered 500; response: ${response}`],
    smtpLogin: [
      { server: "smtp.example.com:587", reply: "535 bad credentials" },
      "the SMTP server smtp.example.com:587 refused the login: 535 bad credentials",
    ],
    smtpEmail: [
      { server: "smtp.example.com:587", reply: "550 no such user" },
      "the SMTP server smtp.example.com:587 refused the email: 550 no such user",
    ],
    textApi: [
      { status: 400, reason: "The 'To' number is not valid" },
      "the text message API answered 400: The 'To' number is not valid",
    ],
  },
  HTTP_BODY_TOO_LARGE: {
    response: [{ maxBytes: 10 * 1024 * 1024 }, "response body larger than 10 MiB"],
    runFile: [
      { file: "Ada.pdf", maxBytes: 1536 },
      "Ada.pdf is larger than the 1.5 KiB limit for run files",
    ],
  },
  HTTP_TOO_MANY_REDIRECTS: {
    redirects: [
      { maxRedirects: 10, url: "https://a.example/" },
      "too many redirects (more than 10) starting at https://a.example/",
    ],
  },
  HTTP_REDIRECT_SECRET: {
    crossOrigin: [
      { from: "https://a.example", status: 307, to: "https://b.example" },
      "https://a.example answered 307 redirecting to https://b.example; the request body holds a secret, so it was not resent to the other origin",
    ],
  },
  HTTP_EGRESS_DENIED: {
    refused: [
      { refusal: "10.0.0.5 is a private address; requests may not go there" },
      "10.0.0.5 is a private address; requests may not go there",
    ],
  },
  HTTP_INVALID_JSON: {
    noTokens: [{}, "the token response held no JSON object of tokens; nothing was stored"],
  },
  EXPECTED_TEXT_MISSING: {
    missing: [
      { expected: "created", response },
      `the response does not contain "created"; response: ${response}`,
    ],
  },
  STORE_DATA_NOT_FOUND: {
    missing: [
      { field: "USER_ID", notation: "data.id", response },
      `could not store USER_ID: data.id not found in response ${response}`,
    ],
  },
  POLL_TIMEOUT: {
    lastFailed: [
      { attempts: 3, reason: "no response within 1 s" },
      "polling timed out after 3 attempts; the last attempt failed: no response within 1 s",
    ],
    lastValue: [
      { attempts: 5, seen: 'status = "pending"', expected: "done" },
      'polling timed out after 5 attempts; last value at status = "pending" (waiting for "done")',
    ],
  },
  BLOCKED: {
    continueIf: [
      { seen: 'status = "inactive"', expected: "active" },
      'continue_if not met: status = "inactive", expected "active"; the run stops here',
    ],
  },
  INTERRUPTED: {
    notResent: [{}, "interrupted while sending; not resent to avoid a duplicate"],
  },
  OAUTH_REFRESH: {
    failed: [
      { reason: "connection refused by 127.0.0.1:9" },
      "refreshing the OAuth token failed: connection refused by 127.0.0.1:9",
    ],
  },
  SYNC_DATA: {
    notAList: [
      { dataFrom: "users", found: true, response },
      `data_from "users" is not a list: ${response}`,
    ],
  },
  CANCELLED: {
    run: [{}, "the run was cancelled"],
    request: [{}, "request cancelled"],
    notification: [{}, "not sent: the run was cancelled"],
    deadline: [{ what: "sending the email" }, "sending the email cancelled"],
  },
  STATE_INVALID: {
    notJson: [
      { file: "run.json", reason: "Unexpected token" },
      "state file run.json is not valid JSON: Unexpected token",
    ],
    notStateFile: [
      { file: "run.json" },
      "run.json is not a hirewire state file (written by `hirewire run --state`)",
    ],
    version: [
      { file: "run.json", version: "7", supported: 1 },
      "state file run.json has version 7; this hirewire reads version 1",
    ],
    manifestChanged: [
      { file: "run.json" },
      "state file run.json cannot be resumed: the manifest in it was changed after the run started (it no longer matches manifestDigest); start a new run instead",
    ],
    stateFile: [
      { file: "run.json", problem: "hire must be an object" },
      "state file run.json: hire must be an object",
    ],
    runRow: [
      { runId: "run_1", reason: "its state is not valid JSON" },
      'The stored row of run "run_1" cannot be used: its state is not valid JSON; the run was set aside as failed so other runs go on, so start a new run for this hire.',
    ],
  },
  SECRETS_UNREADABLE: {
    integration: [
      { integrationId: "int_1", keys: ["API_TOKEN", "API_SECRET"] },
      'The secrets API_TOKEN, API_SECRET of integration "int_1" cannot be decrypted: the secret key changed or was lost since they were saved; set them again, or restore the old secret key.',
    ],
  },
  STORE_UNUSABLE: {
    check: [
      { store: 'store file "/d/hirewire.sqlite"', problem: "is empty", todo: "delete it" },
      'The store file "/d/hirewire.sqlite" is empty; delete it.',
    ],
    unreachable: [
      { store: "PostgreSQL database at db:5432", reason: "refused the connection" },
      "The PostgreSQL database at db:5432 refused the connection; check HIREWIRE_DATABASE_URL and that PostgreSQL is running and accepts this user.",
    ],
    copyRefused: [
      { table: "hires", copied: 12, reason: "invalid byte sequence" },
      "PostgreSQL refused a row of hires after row 12 (invalid byte sequence); nothing was copied — fix that row in the SQLite file, or report it, then run the copy again.",
    ],
  },
  NOT_FOUND: {
    runIntegrationGone: [{}, "the run's integration no longer exists"],
    token: [{ name: "ci" }, 'no API token has the id or name "ci"'],
    id: [{ what: "integration", id: "int_1" }, 'no integration with id "int_1"'],
    record: [{ what: "hire", id: "h_1" }, 'No hire with id "h_1" exists.'],
    route: [{ method: "GET", path: "/api/nope" }, "no API route GET /api/nope; see /openapi.json"],
    secret: [{ integrationId: "int_1", key: "TOKEN" }, 'integration int_1 has no secret "TOKEN"'],
    storedField: [{ hireId: "h_1", name: "SLACK_ID" }, 'hire h_1 has no stored field "SLACK_ID"'],
    runFile: [
      { runId: "run_1", name: "Ada.pdf" },
      'run run_1 has no file "Ada.pdf" (never saved, expired or deleted)',
    ],
    syncIntegration: [{ runId: "run_1" }, "the integration of run run_1 no longer exists"],
  },
  CONFLICT: {
    syncOnly: [
      { name: "Directory", integrationId: "int_1" },
      'integration "Directory" is a sync-users manifest and runs only as a sync: start it with POST /api/integrations/int_1/sync, preview it, then apply it; nothing was sent',
    ],
    runNotCancellable: [
      { runId: "run_1", status: "succeeded" },
      "run run_1 is already succeeded; only unfinished runs can be cancelled",
    ],
    runNotResumable: [
      { runId: "run_1", status: "running" },
      "run run_1 is running; only failed or blocked runs can be resumed",
    ],
    keyOtherBlock: [
      { runId: "run_1", block: "revoke" },
      "the Idempotency-Key was already used for run run_1 of the revoke block; use a new key",
    ],
    needsAuthorization: [
      { integrationId: "int_1" },
      "integration int_1 needs the admin to authorize at the provider first; open GET /api/integrations/int_1/oauth/authorize (or POST it for the URL)",
    ],
    noOAuthBlock: [
      { integrationId: "int_1" },
      "integration int_1 has no oauth block in its manifest; there is nothing to connect",
    ],
    notSyncIntegration: [
      { integrationId: "int_1" },
      'integration int_1 is not a sync-users manifest (it has no "action"); nothing to sync',
    ],
    syncBusy: [
      { runId: "run_1", status: "running" },
      "sync run run_1 of this integration is still running",
    ],
    tokenNameTaken: [{ count: 2, name: "ci" }, '2 API tokens are named "ci"; revoke one by its id'],
    refused: [
      { reason: "An integration with this name already exists." },
      "An integration with this name already exists.",
    ],
    hasUnfinishedRuns: [
      {
        owner: 'The hire "h_1"',
        count: 2,
        first: { id: "run_1", status: "running" },
        then: "delete the hire",
      },
      'The hire "h_1" has 2 unfinished runs (run_1 is running); cancel them first, then delete the hire.',
    ],
    duplicateEmail: [
      { email: "ada@example.com", existing: "h_1" },
      "A hire with the email ada@example.com already exists (h_1); edit that hire instead of adding another.",
    ],
    nameTaken: [
      { name: "Slack" },
      'An integration named "Slack" already exists; choose another name.',
    ],
    stillReferenced: [
      { id: "int_1" },
      'The integration "int_1" could not be deleted because rows still refer to it.',
    ],
    tokenRegistered: [{}, "This API token is already registered."],
    hireTaken: [
      { id: "h_1", email: "ada@example.com" },
      'A hire with id "h_1" or the email ada@example.com already exists.',
    ],
    checkpointHire: [
      { runId: "run_1", hireId: "h_1" },
      'The checkpoint of run "run_1" refers to a hire that does not exist ("h_1"); nothing was saved.',
    ],
    runErased: [
      { runId: "run_1", reason: "retention" },
      'The run "run_1" cannot be resumed: its details were erased (retention); start a new run.',
    ],
    runFinished: [
      { runId: "run_1", status: "succeeded" },
      'The run "run_1" has already finished (succeeded).',
    ],
    notResumable: [
      { runId: "run_1", status: "running" },
      'Only failed or blocked runs can be resumed; the run "run_1" is running.',
    ],
    leaseLost: [
      { runId: "run_1" },
      'The lease on run "run_1" was lost: another driver has taken the run over.',
    ],
    notASync: [
      { runId: "run_1", block: "execute" },
      "run run_1 runs the execute block, not a sync",
    ],
    syncNotSucceeded: [
      { runId: "run_1", status: "failed" },
      "run run_1 is failed; only a sync that succeeded can be applied",
    ],
    syncWithoutUsers: [
      { runId: "run_1" },
      "run run_1 succeeded without a list of users; nothing can be applied",
    ],
    noLongerSync: [
      { integrationId: "int_1", runId: "run_1" },
      'integration int_1 no longer has a sync-users manifest (no "action"), so run run_1 cannot be applied',
    ],
    lockBusy: [
      { what: 'the lock "oauth-refresh:int_1"', waitedMs: 300_000 },
      'the lock "oauth-refresh:int_1" stayed busy in another process for 300 s; try again',
    ],
    targetNotEmpty: [
      { where: "PostgreSQL database at db:5432", schema: "public", held: ["hires", "runs"] },
      "The PostgreSQL database at db:5432 (schema public) already holds hirewire data (hires, runs); nothing was copied — migrate only into an empty database or schema.",
    ],
  },
  UNAUTHORIZED: {
    token: [{}, "missing or invalid API token; send Authorization: Bearer <token>"],
  },
  DISK_FULL: {
    database: [
      { location: "/d/hirewire.sqlite" },
      "the disk holding /d/hirewire.sqlite is full; nothing was saved — free some space and try again",
    ],
    runFile: [
      { file: "Ada.pdf", dir: "/d/files" },
      "could not save Ada.pdf: the disk holding run files (/d/files) is full",
    ],
    runFileInDatabase: [
      { file: "Ada.pdf", location: "PostgreSQL database at db:5432" },
      "could not save Ada.pdf: the database holding run files (PostgreSQL database at db:5432) is full",
    ],
    response: [
      { target: "a.example:443" },
      "the disk is full: the response from a.example:443 could not be saved",
    ],
  },
  INTERNAL: {
    runSetAside: [
      { cause: "SQLITE_CORRUPT", failures: 3 },
      "hirewire could not drive this run: the same unexpected error (SQLITE_CORRUPT) came back 3 times in a row, so the run was set aside as failed and other runs go on; the service log has the details — fix the cause, then resume the run",
    ],
    sending: [{ reason: "boom" }, "unexpected error while sending: boom"],
    buildRequest: [
      { reason: "invalid header value" },
      "could not build the request: invalid header value",
    ],
    email: [{ reply: "boom" }, "the email could not be sent: boom"],
    decrypt: [
      { reason: "the authentication tag does not match" },
      "An encrypted secret could not be decrypted: the authentication tag does not match.",
    ],
    openStore: [
      { file: "/d/hirewire.sqlite", reason: "permission denied" },
      'The store file "/d/hirewire.sqlite" could not be opened: permission denied.',
    ],
    migrate: [
      { migration: "0004-erasure" },
      "The store's schema could not be updated (migration 0004-erasure).",
    ],
    copyCount: [
      { table: "runs", where: "PostgreSQL database at db:5432", actual: 3, expected: 4 },
      "The copy of runs into the PostgreSQL database at db:5432 holds 3 rows instead of 4; nothing was copied.",
    ],
    copyFileRef: [
      { ref: "run_1/Ada.pdf", storedAs: "run_1/Ada-2.pdf" },
      "The run file run_1/Ada.pdf would be stored as run_1/Ada-2.pdf; nothing was copied.",
    ],
    tokenRequestEnded: [{ status: "blocked" }, "the token request ended blocked"],
    unexpected: [{ reason: "boom" }, "boom"],
    server: [{}, "the server failed to handle this request; the details are in the server log"],
  },
};

describe("the error message table", () => {
  const codes = Object.keys(ERROR_CATALOG) as ErrorCode[];

  it("has sentences and goldens for every code of the catalog, and nothing else", () => {
    expect(Object.keys(ERROR_MESSAGES).sort()).toEqual([...codes].sort());
    expect(Object.keys(GOLDEN).sort()).toEqual([...codes].sort());
  });

  describe.each(codes)("%s", (code) => {
    const situations = Object.keys(ERROR_MESSAGES[code]).sort();

    it("has at least one situation, each with a golden", () => {
      expect(situations.length).toBeGreaterThan(0);
      expect(Object.keys(GOLDEN[code]).sort()).toEqual(situations);
    });

    it.each(situations)("renders its %s sentence exactly", (situation) => {
      const [facts, sentence] = (GOLDEN[code] as unknown as Record<string, [unknown, string]>)[
        situation
      ]!;
      const render = errorMessage as (c: ErrorCode, s: string, f: unknown) => string;
      expect(render(code, situation, facts)).toBe(sentence);
    });
  });

  it("builds problems and errors with the rendered sentence and their place", () => {
    const made = problem(
      "HTTP_TIMEOUT",
      "noResponse",
      { timeoutMs: 1500 },
      { path: "execute[0]", step: 0, details: { timeoutMs: 1500 } },
    );
    expect(made).toEqual({
      code: "HTTP_TIMEOUT",
      message: "no response within 1.5 s",
      path: "execute[0]",
      step: 0,
      details: { timeoutMs: 1500 },
    });
    const cause = new Error("low level");
    const error = hirewireError("CANCELLED", "request", {}, { cause });
    expect(error.toJSON()).toEqual({ code: "CANCELLED", message: "request cancelled" });
    expect(error.cause).toBe(cause);
    expect(error.title).toBe("Run cancelled");
  });
});
