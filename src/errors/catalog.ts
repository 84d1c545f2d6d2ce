// The one table of error codes: each code's title and the HTTP status the API answers with.
// Which failures are worth retrying is engine/retry.ts's call (it also weighs status codes and the
// step's `retry.on`). Each code's sentences are in messages.ts. Branch on `code`, never on `instanceof`.

export const ERROR_CATALOG = Object.freeze({
  VALIDATION: { title: "Invalid manifest", http: 422 },
  INPUT_INVALID: { title: "Invalid input", http: 422 },
  INPUT_MISSING: { title: "Missing input", http: 422 },
  INPUT_TOO_LARGE: { title: "Input over a limit", http: 413 },
  TEMPLATE_SYNTAX: { title: "Template syntax error", http: 422 },
  TEMPLATE_UNDEFINED_VARIABLE: { title: "Unknown variable", http: 422 },
  TEMPLATE_FILTER: { title: "Template filter failed", http: 422 },
  URL_INVALID: { title: "Invalid URL", http: 422 },
  FILE_NOT_SAVED: { title: "File not saved by an earlier step", http: 422 },
  HTTP_CONNECTION: { title: "Connection failed", http: 502 },
  HTTP_TIMEOUT: { title: "Request timed out", http: 504 },
  HTTP_STATUS: { title: "Unexpected response status", http: 502 },
  HTTP_BODY_TOO_LARGE: { title: "Response body too large", http: 502 },
  HTTP_TOO_MANY_REDIRECTS: { title: "Too many redirects", http: 502 },
  HTTP_REDIRECT_SECRET: {
    title: "Redirect would carry a secret to another origin",
    http: 502,
  },
  HTTP_EGRESS_DENIED: { title: "Host not allowed", http: 403 },
  HTTP_INVALID_JSON: { title: "Response is not valid JSON", http: 502 },
  EXPECTED_TEXT_MISSING: { title: "Expected text not in response", http: 502 },
  STORE_DATA_NOT_FOUND: { title: "Value to store not found", http: 502 },
  POLL_TIMEOUT: { title: "Polling timed out", http: 504 },
  BLOCKED: { title: "Condition not met", http: 409 },
  INTERRUPTED: { title: "Interrupted while sending", http: 409 },
  OAUTH_REFRESH: { title: "OAuth token refresh failed", http: 502 },
  SYNC_DATA: { title: "Sync data not as expected", http: 502 },
  CANCELLED: { title: "Run cancelled", http: 409 },
  STATE_INVALID: { title: "Invalid run state", http: 422 },
  SECRETS_UNREADABLE: { title: "Secrets cannot be decrypted", http: 409 },
  STORE_UNUSABLE: { title: "Store unusable", http: 503 },
  NOT_FOUND: { title: "Not found", http: 404 },
  CONFLICT: { title: "Conflict", http: 409 },
  UNAUTHORIZED: { title: "Unauthorized", http: 401 },
  DISK_FULL: { title: "Disk full", http: 507 },
  INTERNAL: { title: "Internal error", http: 500 },
} as const);

export type ErrorCode = keyof typeof ERROR_CATALOG;

export const ERROR_CODES = Object.freeze(Object.keys(ERROR_CATALOG) as ErrorCode[]);
