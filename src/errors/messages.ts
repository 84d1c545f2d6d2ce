// Every error sentence hirewire writes, in one table: for each code of the catalog, the situations
// it is raised in, each rendering its sentence from typed facts. A throw site names the code, the
// situation and the facts (`problem("HTTP_TIMEOUT", "noResponse", { timeoutMs })`), never a
// sentence, so the wording lives here and golden tests (messages.test.ts) pin every one of them.
// Sentences are written for the admin who wrote the manifest or runs the service.
import type { ErrorCode } from "./catalog.ts";
import { formatBytes, formatSeconds } from "./format.ts";

/** A path and message, as in a list of problems (validation, preflight). */
interface PlacedMessage {
  path?: string | undefined;
  message: string;
}

/** A manifest item with an id and a name for people: a form field, an extra_user_info item. */
interface Named {
  id: string;
  name: string;
}

/** `TEAM_ID (Team)`. */
const named = (item: Named): string => `${item.id} (${item.name})`;

/** How many choices a message about a choice answer lists. */
const LISTED_CHOICES = 10;

/** "64 KiB", "1 MiB": a JSON size limit as input-limit messages write it. */
const formatKiB = (bytes: number): string =>
  bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;

const plural = (count: number, one: string, many: string): string => (count === 1 ? one : many);

const quote = (value: unknown): string => JSON.stringify(value);

/** `path: message`, or the message alone without a path. */
const placed = (problem: PlacedMessage): string =>
  problem.path !== undefined && problem.path !== ""
    ? `${problem.path}: ${problem.message}`
    : problem.message;

/**
 * One sentence for a problem: `hire_id is required`, `start must be an ISO date …` when the
 * message continues the field's name, else `execute[0].url: unknown variable "TOKEN"`; the
 * message alone at the root.
 */
export function describeProblem(problem: { path: string; message: string }): string {
  if (problem.path === "") return problem.message;
  return /^(is|must|should|has|holds) /.test(problem.message)
    ? `${problem.path} ${problem.message}`
    : `${problem.path}: ${problem.message}`;
}

/** "The integration "x" has 2 unfinished runs (run_1 is running); cancel them first, then …". */
const unfinishedRuns = (facts: {
  owner: string;
  count: number;
  first: { id: string; status: string };
}): string =>
  `${facts.owner} has ${facts.count} unfinished ${plural(facts.count, "run", "runs")} (${facts.first.id} is ${facts.first.status}); cancel ${plural(facts.count, "it", "them")} first`;

export const ERROR_MESSAGES = {
  VALIDATION: {
    manifestProblems: (f: { count: number; first?: PlacedMessage | undefined }) =>
      `the manifest has ${f.count} ${plural(f.count, "problem", "problems")}${f.first !== undefined ? `; first: ${placed(f.first)}` : ""}`,
    savedManifestInvalid: () =>
      "the saved manifest is no longer valid; fix it with PUT /api/integrations/{id}",
    /** One problem of a saved manifest that a newer hirewire no longer accepts, at run start. */
    savedManifestProblem: (f: { problem: string }) =>
      `the saved manifest is no longer valid: ${f.problem}`,
    /** The CLI's finding for a block the manifest does not have (said like a validation problem). */
    noBlock: (f: { block: string }) => `the manifest has no ${f.block} block`,
    notSyncManifest: () =>
      'not a sync-users manifest: add "action" and "data_structure" (or use `hirewire run`)',
    noBlockToRun: (f: { block: string }) => `the manifest has no ${f.block} block to run`,
    integrationManifestInvalid: (f: { first?: PlacedMessage | undefined }) =>
      `the integration's manifest is invalid${f.first !== undefined ? `: ${f.first.path}: ${f.first.message}` : ""}`,
  },
  INPUT_INVALID: {
    /** A request that does not fit its schema: the first problem, and how many more there are. */
    request: (f: { first?: { path: string; message: string } | undefined; more: number }) =>
      f.first === undefined
        ? "the request is invalid"
        : `${describeProblem(f.first)}${f.more > 0 ? ` (and ${f.more} more ${plural(f.more, "problem", "problems")})` : ""}`,
    noExistsBlock: () =>
      "the manifest has no exists block; add one to check whether a hire has an account",
    /** A run of a block (revoke, exists) the integration's manifest does not have. */
    noBlockToStart: (f: { block: string }) => `the manifest has no ${f.block} block`,
    /** A sync-users manifest triggered as a run: it would fetch a page and apply nothing. */
    syncOnly: (f: { name: string; integrationId: string }) =>
      `integration ${JSON.stringify(f.name)} is a sync-users manifest and runs only as a sync: start it with POST /api/integrations/${f.integrationId}/sync, preview it, then apply it`,
    noAuthenticateUrl: () =>
      "the manifest's oauth block has no authenticate_url to send the admin to",
    tokenName: (f: { max: number }) => `a token name must have 1 to ${f.max} characters`,
    reservedSecret: (f: { key: string; integrationId: string }) =>
      `${f.key} is reserved for the OAuth tokens; connect with /api/integrations/${f.integrationId}/oauth/authorize`,
    generatedSecrets: (f: { keys: string[] }) =>
      `${f.keys.join(", ")} ${plural(f.keys.length, "is", "are")} generated afresh for every run ("name": "generate") and cannot be set`,
    /** `NAME must be … (got "value")` for a setting, a form answer, a file's value. */
    setting: (f: { name: string; rule: string; got?: string | undefined }) =>
      `${f.name} must be ${f.rule}${f.got !== undefined ? ` (got ${quote(f.got)})` : ""}`,
    halfConfigured: (f: { what: string; missing: string[] }) =>
      `${f.what} are half configured: set ${f.missing.join(" and ")}`,
    emptyRecipient: () => "the recipient is empty after rendering",
    /** A choice answer that is not one of the field's `items` (the first ten are listed). */
    formChoice: (f: { field: Named; choices: Named[]; got: string }) => {
      const listed = f.choices.slice(0, LISTED_CHOICES).map((c) => `${quote(c.id)} (${c.name})`);
      const more = f.choices.length - LISTED_CHOICES;
      return `form answer ${named(f.field)} must be one of ${listed.join(", ")}${more > 0 ? ` and ${more} more` : ""}; got ${quote(f.got)}`;
    },
    secretKeyLength: (f: { expected: number; actual: number }) =>
      `The secret key must be ${f.expected} bytes long, but it is ${f.actual} bytes.`,
    secretKeyEncoding: (f: { expected: number; actual: number }) =>
      `The secret key must be ${f.expected} bytes encoded as base64, but it decodes to ${f.actual} bytes.`,
    noDataDir: (f: { dir: string; pass: string }) =>
      `${f.dir} holds no hirewire data (no hirewire.sqlite); pass ${f.pass}`,
    filesDirOutside: (f: { filesDir: string; folder: string }) =>
      `--files-dir ${f.filesDir} must be inside ${f.folder}, the folder of the --state file, so that \`hirewire resume\` can find the run's files`,
    unreadableFile: (f: { what: string; file: string; reason: string }) =>
      `cannot read ${f.what} ${f.file}: ${f.reason}`,
    fileNotJson: (f: { what: string; file: string; reason: string }) =>
      `${f.what} ${f.file} is not valid JSON: ${f.reason}`,
    fileShape: (f: { what: string; file: string; field?: string | undefined; rule: string }) =>
      `${f.what} ${f.file}${f.field !== undefined ? `: ${f.field}` : ""} must ${f.rule}`,
    paramShape: (f: { pair: string }) => `--param ${quote(f.pair)} must look like KEY=VALUE`,
    noPostgresTarget: () =>
      "Give the PostgreSQL database to copy into with --to postgres://USER:PASSWORD@HOST:5432/DATABASE (or HIREWIRE_DATABASE_URL).",
    notPostgresUrl: (f: { name: string }) =>
      `${f.name} must be a postgres:// URL (postgres://USER:PASSWORD@HOST:5432/DATABASE)`,
    noStoreToCopy: (f: { file: string }) => `There is no hirewire store at ${f.file} to copy.`,
    notJsonData: (f: { what: string }) =>
      `The ${f.what} cannot be saved because it is not valid JSON data.`,
    foreignCursor: () => "The page cursor is not one this server returned.",
    tokenRequest: (f: { first?: PlacedMessage | undefined }) =>
      `the token request cannot be sent: ${f.first !== undefined ? placed(f.first) : "the manifest is invalid"}`,
    notJsonBody: () => "the request body is not valid JSON",
    notJsonContentType: () =>
      "send the request body as JSON with the header Content-Type: application/json",
  },
  INPUT_MISSING: {
    extraUserInfo: (f: { missing: Named[] }) =>
      `the hire is missing extra user info: ${f.missing.map(named).join(", ")}; add it to the hire's stored fields or pass it as a param`,
    formAnswers: (f: { missing: Named[] }) =>
      `the run is missing form answers: ${f.missing.map(named).join(", ")}; give them as run params (--param ID=value in the CLI)`,
    pritunlSecrets: (f: { missing: string[] }) =>
      `extra_headers "pritunl" signs with the secrets API_TOKEN and API_SECRET (or PRITUNL_API_TOKEN and PRITUNL_API_SECRET); missing: ${f.missing.join(", ")}`,
    notifyNotConfigured: (f: { type: string; variables: string }) =>
      `${f.type} notifications are not configured: set ${f.variables}`,
    noPublicUrl: () =>
      "the service does not know its public URL, so it has no OAuth callback to give the provider; set HIREWIRE_PUBLIC_URL",
    /** A secret of initial_data_form with no value, when a run is started. */
    secretNotSet: (f: { secret: Named; integrationId: string }) =>
      `secret ${named(f.secret)} is not set; set it with PUT /api/integrations/${f.integrationId}/secrets`,
    /** An integration with an oauth block that was never connected, when a run is started. */
    oauthNotConnected: (f: { integrationId: string; withoutCode: boolean }) =>
      `the integration is not connected over OAuth yet; connect it with /api/integrations/${f.integrationId}/oauth/authorize${f.withoutCode ? " (without_code: POST …/oauth/connect)" : ""}`,
  },
  INPUT_TOO_LARGE: {
    jsonSize: (f: { what: string; maxBytes: number; bytes: number }) =>
      `${f.what} may be at most ${formatKiB(f.maxBytes)} as JSON (this is ${formatKiB(f.bytes)})`,
    count: (f: { max: number; what: string; count: number }) =>
      `at most ${f.max} ${f.what} are allowed (this would make ${f.count})`,
    requestBody: (f: { maxBytes: number }) =>
      `the request body is larger than the ${formatBytes(f.maxBytes)} limit of the API`,
  },
  TEMPLATE_SYNTAX: {
    /** The template scanner's own description of what is wrong and where. */
    scan: (f: { problem: string }) => f.problem,
  },
  TEMPLATE_UNDEFINED_VARIABLE: {
    unknown: (f: { variable: string; hint?: string | undefined }) =>
      `unknown variable ${quote(f.variable)}${f.hint ?? ""}`,
    notRunYet: (f: { variable: string; step: number }) =>
      `${f.variable} refers to a step that has not run yet (this is step ${f.step})`,
  },
  TEMPLATE_FILTER: {
    failed: (f: { reason: string; expression: string }) => `${f.reason} in "${f.expression}"`,
  },
  URL_INVALID: {
    notAbsolute: (f: { url: string }) =>
      `the URL must be absolute http(s) after rendering (got ${quote(f.url)})`,
    unparsable: (f: { url: string }) => `${f.url} is not a valid URL`,
    redirectTarget: (f: { from: string; location: string }) =>
      `${f.from} redirected to ${f.location}, which is not an http(s) URL`,
    authenticateUrl: () => "oauth.authenticate_url must render to an absolute http(s) URL",
  },
  FILE_NOT_SAVED: {
    notSaved: (f: { name: string; saved: string[] }) =>
      `${quote(f.name)} was not saved by any earlier step; saved: ${quote(f.saved)}`,
    badReference: (f: { name: string }) => `${f.name} has an invalid storage reference`,
    gone: (f: { name: string }) => `${f.name} is no longer in run storage`,
    removedWhileSaving: (f: { name: string }) =>
      `${f.name} was removed from run storage while it was being saved`,
  },
  HTTP_CONNECTION: {
    refused: (f: { target: string }) => `connection refused by ${f.target}`,
    resetInBody: () => "connection reset while reading the response body",
    reset: (f: { target: string }) => `connection reset by ${f.target} before a response arrived`,
    dns: (f: { host: string }) => `could not resolve host ${f.host}`,
    unreachable: (f: { target: string }) => `${f.target} is unreachable`,
    connectTimeout: (f: { target: string }) => `could not connect to ${f.target} in time`,
    shortBody: () => "response body ended before its announced Content-Length",
    invalidHttp: (f: { target: string }) => `${f.target} sent an invalid HTTP response`,
    tls: (f: { target: string; reason: string }) =>
      `secure connection to ${f.target} failed: ${f.reason}`,
    other: (f: { target: string; cause: string }) =>
      `connection to ${f.target} failed (${f.cause})`,
    smtp: (f: { server: string; reply: string }) =>
      `could not reach the SMTP server ${f.server}: ${f.reply}`,
    textApi: (f: { host: string; reason: string }) =>
      `could not reach the text message API at ${f.host}: ${f.reason}`,
  },
  HTTP_TIMEOUT: {
    noResponse: (f: { timeoutMs: number }) => `no response within ${formatSeconds(f.timeoutMs)}`,
    smtp: (f: { server: string }) => `the SMTP server ${f.server} did not answer in time`,
    deadline: (f: { what: string; timeoutMs: number }) =>
      `${f.what} did not finish within ${formatSeconds(f.timeoutMs)}`,
  },
  HTTP_STATUS: {
    /** `accepted`: the step's `status_code` list; none or empty means any 2xx status. */
    unexpected: (f: {
      request: string;
      status: number;
      accepted?: number[] | undefined;
      response: string;
    }) =>
      `${f.request} answered ${f.status}, expected ${f.accepted !== undefined && f.accepted.length > 0 ? `one of ${f.accepted.join(", ")}` : "a 2xx status"}; response: ${f.response}`,
    check: (f: { status: number; response: string }) =>
      `the check answered ${f.status}; response: ${f.response}`,
    smtpLogin: (f: { server: string; reply: string }) =>
      `the SMTP server ${f.server} refused the login: ${f.reply}`,
    smtpEmail: (f: { server: string; reply: string }) =>
      `the SMTP server ${f.server} refused the email: ${f.reply}`,
    textApi: (f: { status: number; reason: string }) =>
      `the text message API answered ${f.status}${f.reason !== "" ? `: ${f.reason}` : ""}`,
  },
  HTTP_BODY_TOO_LARGE: {
    response: (f: { maxBytes: number }) => `response body larger than ${formatBytes(f.maxBytes)}`,
    runFile: (f: { file: string; maxBytes: number }) =>
      `${f.file} is larger than the ${formatBytes(f.maxBytes)} limit for run files`,
  },
  HTTP_TOO_MANY_REDIRECTS: {
    redirects: (f: { maxRedirects: number; url: string }) =>
      `too many redirects (more than ${f.maxRedirects}) starting at ${f.url}`,
  },
  HTTP_REDIRECT_SECRET: {
    crossOrigin: (f: { from: string; status: number; to: string }) =>
      `${f.from} answered ${f.status} redirecting to ${f.to}; the request body holds a secret, so it was not resent to the other origin`,
  },
  HTTP_EGRESS_DENIED: {
    /** The egress policy's own sentence naming the rule that refused the address. */
    refused: (f: { refusal: string }) => f.refusal,
  },
  HTTP_INVALID_JSON: {
    noTokens: () => "the token response held no JSON object of tokens; nothing was stored",
  },
  EXPECTED_TEXT_MISSING: {
    missing: (f: { expected: string; response: string }) =>
      `the response does not contain ${quote(f.expected)}; response: ${f.response}`,
  },
  STORE_DATA_NOT_FOUND: {
    missing: (f: { field: string; notation: string; response: string }) =>
      `could not store ${f.field}: ${f.notation === "" ? "the response" : f.notation} not found in response ${f.response}`,
  },
  POLL_TIMEOUT: {
    lastFailed: (f: { attempts: number; reason: string }) =>
      `polling timed out after ${f.attempts} attempts; the last attempt failed: ${f.reason}`,
    lastValue: (f: { attempts: number; seen: string; expected: unknown }) =>
      `polling timed out after ${f.attempts} attempts; last value at ${f.seen} (waiting for ${quote(f.expected)})`,
  },
  BLOCKED: {
    continueIf: (f: { seen: string; expected: unknown }) =>
      `continue_if not met: ${f.seen}, expected ${quote(f.expected)}; the run stops here`,
  },
  INTERRUPTED: {
    notResent: () => "interrupted while sending; not resent to avoid a duplicate",
  },
  OAUTH_REFRESH: {
    failed: (f: { reason: string }) => `refreshing the OAuth token failed: ${f.reason}`,
  },
  SYNC_DATA: {
    /** The manifest's `data_from` (none or "" reads the whole response) found no list. */
    notAList: (f: { dataFrom?: string | undefined; found: boolean; response: string }) =>
      `${f.dataFrom ? `data_from "${f.dataFrom}"` : "the response"} is ${f.found ? "not a list" : "not in the response"}: ${f.response}`,
  },
  CANCELLED: {
    run: () => "the run was cancelled",
    request: () => "request cancelled",
    notification: () => "not sent: the run was cancelled",
    deadline: (f: { what: string }) => `${f.what} cancelled`,
  },
  STATE_INVALID: {
    notJson: (f: { file: string; reason: string }) =>
      `state file ${f.file} is not valid JSON: ${f.reason}`,
    notStateFile: (f: { file: string }) =>
      `${f.file} is not a hirewire state file (written by \`hirewire run --state\`)`,
    version: (f: { file: string; version: string; supported: number }) =>
      `state file ${f.file} has version ${f.version}; this hirewire reads version ${f.supported}`,
    manifestChanged: (f: { file: string }) =>
      `state file ${f.file} cannot be resumed: the manifest in it was changed after the run started (it no longer matches manifestDigest); start a new run instead`,
    stateFile: (f: { file: string; problem: string }) => `state file ${f.file}: ${f.problem}`,
    runRow: (f: { runId: string; reason: string }) =>
      `The stored row of run "${f.runId}" cannot be used: ${f.reason}; the run was set aside as failed so other runs go on, so start a new run for this hire.`,
  },
  SECRETS_UNREADABLE: {
    integration: (f: { integrationId: string; keys: string[] }) => {
      const one = f.keys.length === 1;
      const list = f.keys.join(", ");
      return `The ${one ? `secret ${list}` : `secrets ${list}`} of integration "${f.integrationId}" cannot be decrypted: the secret key changed or was lost since ${one ? "it was" : "they were"} saved; set ${one ? "it" : "them"} again, or restore the old secret key.`;
    },
  },
  STORE_UNUSABLE: {
    /** What is wrong with the store and what to do, from the store's health check. */
    check: (f: { store: string; problem: string; todo: string }) =>
      `The ${f.store} ${f.problem}; ${f.todo}.`,
    unreachable: (f: { store: string; reason: string }) =>
      `The ${f.store} ${f.reason}; check HIREWIRE_DATABASE_URL and that PostgreSQL is running and accepts this user.`,
    copyRefused: (f: { table: string; copied: number; reason: string }) =>
      `PostgreSQL refused a row of ${f.table} after row ${f.copied} (${f.reason}); nothing was copied — fix that row in the SQLite file, or report it, then run the copy again.`,
  },
  NOT_FOUND: {
    /** A queued run whose integration was deleted before a worker took it. */
    runIntegrationGone: () => "the run's integration no longer exists",
    token: (f: { name: string }) => `no API token has the id or name ${quote(f.name)}`,
    /** The API's wording: `no integration with id "int_1"`. */
    id: (f: { what: string; id: string }) => `no ${f.what} with id ${quote(f.id)}`,
    /** The store's wording: `No hire with id "h_1" exists.` */
    record: (f: { what: string; id: string }) => `No ${f.what} with id "${f.id}" exists.`,
    route: (f: { method: string; path: string }) =>
      `no API route ${f.method} ${f.path}; see /openapi.json`,
    secret: (f: { integrationId: string; key: string }) =>
      `integration ${f.integrationId} has no secret ${quote(f.key)}`,
    storedField: (f: { hireId: string; name: string }) =>
      `hire ${f.hireId} has no stored field ${quote(f.name)}`,
    runFile: (f: { runId: string; name: string }) =>
      `run ${f.runId} has no file ${quote(f.name)} (never saved, expired or deleted)`,
    syncIntegration: (f: { runId: string }) => `the integration of run ${f.runId} no longer exists`,
  },
  CONFLICT: {
    runNotCancellable: (f: { runId: string; status: string }) =>
      `run ${f.runId} is already ${f.status}; only unfinished runs can be cancelled`,
    runNotResumable: (f: { runId: string; status: string }) =>
      `run ${f.runId} is ${f.status}; only failed or blocked runs can be resumed`,
    keyOtherBlock: (f: { runId: string; block: string }) =>
      `the Idempotency-Key was already used for run ${f.runId} of the ${f.block} block; use a new key`,
    needsAuthorization: (f: { integrationId: string }) =>
      `integration ${f.integrationId} needs the admin to authorize at the provider first; open GET /api/integrations/${f.integrationId}/oauth/authorize (or POST it for the URL)`,
    noOAuthBlock: (f: { integrationId: string }) =>
      `integration ${f.integrationId} has no oauth block in its manifest; there is nothing to connect`,
    /** A sync-users manifest triggered through POST /api/runs. */
    syncOnly: (f: { name: string; integrationId: string }) =>
      `integration ${JSON.stringify(f.name)} is a sync-users manifest and runs only as a sync: start it with POST /api/integrations/${f.integrationId}/sync, preview it, then apply it; nothing was sent`,
    notSyncIntegration: (f: { integrationId: string }) =>
      `integration ${f.integrationId} is not a sync-users manifest (it has no "action"); nothing to sync`,
    syncBusy: (f: { runId: string; status: string }) =>
      `sync run ${f.runId} of this integration is still ${f.status}`,
    tokenNameTaken: (f: { count: number; name: string }) =>
      `${f.count} API tokens are named ${quote(f.name)}; revoke one by its id`,
    /** A sentence saying what is not allowed and why, from a constraint or a state check. */
    refused: (f: { reason: string }) => f.reason,
    hasUnfinishedRuns: (f: {
      owner: string;
      count: number;
      first: { id: string; status: string };
      then: string;
    }) => `${unfinishedRuns(f)}, then ${f.then}.`,
    duplicateEmail: (f: { email: string; existing: string }) =>
      `A hire with the email ${f.email} already exists (${f.existing}); edit that hire instead of adding another.`,
    nameTaken: (f: { name: string }) =>
      `An integration named "${f.name}" already exists; choose another name.`,
    stillReferenced: (f: { id: string }) =>
      `The integration "${f.id}" could not be deleted because rows still refer to it.`,
    tokenRegistered: () => "This API token is already registered.",
    hireTaken: (f: { id?: string | undefined; email: string }) =>
      `A hire with ${f.id !== undefined ? `id "${f.id}" or ` : ""}the email ${f.email} already exists.`,
    checkpointHire: (f: { runId: string; hireId?: string | undefined }) =>
      `The checkpoint of run "${f.runId}" refers to a hire that does not exist${f.hireId !== undefined ? ` ("${f.hireId}")` : ""}; nothing was saved.`,
    runErased: (f: { runId: string; reason: string }) =>
      `The run "${f.runId}" cannot be resumed: its details were erased (${f.reason}); start a new run.`,
    runFinished: (f: { runId: string; status: string }) =>
      `The run "${f.runId}" has already finished (${f.status}).`,
    notResumable: (f: { runId: string; status: string }) =>
      `Only failed or blocked runs can be resumed; the run "${f.runId}" is ${f.status}.`,
    leaseLost: (f: { runId: string }) =>
      `The lease on run "${f.runId}" was lost: another driver has taken the run over.`,
    notASync: (f: { runId: string; block: string }) =>
      `run ${f.runId} runs the ${f.block} block, not a sync`,
    syncNotSucceeded: (f: { runId: string; status: string }) =>
      `run ${f.runId} is ${f.status}; only a sync that succeeded can be applied`,
    syncWithoutUsers: (f: { runId: string }) =>
      `run ${f.runId} succeeded without a list of users; nothing can be applied`,
    noLongerSync: (f: { integrationId: string; runId: string }) =>
      `integration ${f.integrationId} no longer has a sync-users manifest (no "action"), so run ${f.runId} cannot be applied`,
    /** `what`: "the OAuth refresh of …", or the lock's name when nothing says what it guards. */
    lockBusy: (f: { what: string; waitedMs: number }) =>
      `${f.what} stayed busy in another process for ${Math.round(f.waitedMs / 1000)} s; try again`,
    targetNotEmpty: (f: { where: string; schema: string; held: string[] }) =>
      `The ${f.where} (schema ${f.schema}) already holds hirewire data (${f.held.join(", ")}); nothing was copied — migrate only into an empty database or schema.`,
  },
  UNAUTHORIZED: {
    token: () => "missing or invalid API token; send Authorization: Bearer <token>",
  },
  DISK_FULL: {
    database: (f: { location?: string | undefined }) =>
      `the disk holding ${f.location ?? "the database"} is full; nothing was saved — free some space and try again`,
    runFile: (f: { file: string; dir: string }) =>
      `could not save ${f.file}: the disk holding run files (${f.dir}) is full`,
    runFileInDatabase: (f: { file: string; location: string }) =>
      `could not save ${f.file}: the database holding run files (${f.location}) is full`,
    response: (f: { target: string }) =>
      `the disk is full: the response from ${f.target} could not be saved`,
  },
  INTERNAL: {
    /** A run the scheduler could not drive, the same unexpected error coming back each time. */
    runSetAside: (f: { cause: string; failures: number }) =>
      `hirewire could not drive this run: the same unexpected error (${f.cause}) came back ${f.failures} times in a row, so the run was set aside as failed and other runs go on; the service log has the details — fix the cause, then resume the run`,
    sending: (f: { reason: string }) => `unexpected error while sending: ${f.reason}`,
    buildRequest: (f: { reason: string }) => `could not build the request: ${f.reason}`,
    email: (f: { reply: string }) => `the email could not be sent: ${f.reply}`,
    decrypt: (f: { reason: string }) => `An encrypted secret could not be decrypted: ${f.reason}.`,
    openStore: (f: { file: string; reason: string }) =>
      `The store file "${f.file}" could not be opened: ${f.reason}.`,
    migrate: (f: { migration?: string | undefined }) =>
      `The store's schema could not be updated${f.migration !== undefined ? ` (migration ${f.migration})` : ""}.`,
    copyCount: (f: { table: string; where: string; actual: number; expected: number }) =>
      `The copy of ${f.table} into the ${f.where} holds ${f.actual} rows instead of ${f.expected}; nothing was copied.`,
    copyFileRef: (f: { ref: string; storedAs: string }) =>
      `The run file ${f.ref} would be stored as ${f.storedAs}; nothing was copied.`,
    tokenRequestEnded: (f: { status: string }) => `the token request ended ${f.status}`,
    unexpected: (f: { reason: string }) => f.reason,
    server: () => "the server failed to handle this request; the details are in the server log",
  },
} as const satisfies {
  readonly [C in ErrorCode]: Readonly<Record<string, (facts: never) => string>>;
};

type Messages = typeof ERROR_MESSAGES;

/** The situations a code is raised in: `ErrorSituation<"HTTP_TIMEOUT">` is "noResponse" | …. */
export type ErrorSituation<C extends ErrorCode> = keyof Messages[C] & string;

/** The facts a situation's sentence is rendered from. */
export type ErrorFacts<C extends ErrorCode, S extends ErrorSituation<C>> = Messages[C][S] extends (
  facts: infer F,
) => string
  ? F
  : never;

/** Renders the sentence of `code` in `situation` from its facts. */
export function errorMessage<C extends ErrorCode, S extends ErrorSituation<C>>(
  code: C,
  situation: S,
  facts: ErrorFacts<C, S>,
): string {
  const render = ERROR_MESSAGES[code][situation] as unknown as (facts: unknown) => string;
  return render(facts);
}
