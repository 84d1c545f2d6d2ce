// The one table of error codes: each code's title, the HTTP status the API answers with, and
// whether the failure is transient (worth retrying). Branch on `code`, never on `instanceof`.

export const ERROR_CATALOG = Object.freeze({
  VALIDATION: { title: "Invalid manifest", http: 422, transient: false },
  INPUT_INVALID: { title: "Invalid input", http: 422, transient: false },
  INPUT_MISSING: { title: "Missing input", http: 422, transient: false },
  INPUT_TOO_LARGE: { title: "Input over a limit", http: 413, transient: false },
  TEMPLATE_SYNTAX: { title: "Template syntax error", http: 422, transient: false },
  TEMPLATE_UNDEFINED_VARIABLE: { title: "Unknown variable", http: 422, transient: false },
  TEMPLATE_FILTER: { title: "Template filter failed", http: 422, transient: false },
  URL_INVALID: { title: "Invalid URL", http: 422, transient: false },
  FILE_NOT_SAVED: { title: "File not saved by an earlier step", http: 422, transient: false },
  HTTP_CONNECTION: { title: "Connection failed", http: 502, transient: true },
  HTTP_TIMEOUT: { title: "Request timed out", http: 504, transient: true },
  HTTP_STATUS: { title: "Unexpected response status", http: 502, transient: false },
  HTTP_BODY_TOO_LARGE: { title: "Response body too large", http: 502, transient: false },
  HTTP_TOO_MANY_REDIRECTS: { title: "Too many redirects", http: 502, transient: false },
  HTTP_REDIRECT_SECRET: {
    title: "Redirect would carry a secret to another origin",
    http: 502,
    transient: false,
  },
  HTTP_EGRESS_DENIED: { title: "Host not allowed", http: 403, transient: false },
  HTTP_INVALID_JSON: { title: "Response is not valid JSON", http: 502, transient: false },
  EXPECTED_TEXT_MISSING: { title: "Expected text not in response", http: 502, transient: false },
  STORE_DATA_NOT_FOUND: { title: "Value to store not found", http: 502, transient: false },
  POLL_TIMEOUT: { title: "Polling timed out", http: 504, transient: false },
  BLOCKED: { title: "Condition not met", http: 409, transient: false },
  INTERRUPTED: { title: "Interrupted while sending", http: 409, transient: false },
  OAUTH_REFRESH: { title: "OAuth token refresh failed", http: 502, transient: false },
  SYNC_DATA: { title: "Sync data not as expected", http: 502, transient: false },
  CANCELLED: { title: "Run cancelled", http: 409, transient: false },
  STATE_INVALID: { title: "Invalid run state", http: 422, transient: false },
  SECRETS_UNREADABLE: { title: "Secrets cannot be decrypted", http: 409, transient: false },
  STORE_UNUSABLE: { title: "Store unusable", http: 503, transient: false },
  NOT_FOUND: { title: "Not found", http: 404, transient: false },
  CONFLICT: { title: "Conflict", http: 409, transient: false },
  UNAUTHORIZED: { title: "Unauthorized", http: 401, transient: false },
  DISK_FULL: { title: "Disk full", http: 507, transient: false },
  INTERNAL: { title: "Internal error", http: 500, transient: false },
} as const);

export type ErrorCode = keyof typeof ERROR_CATALOG;

export const ERROR_CODES = Object.freeze(Object.keys(ERROR_CATALOG) as ErrorCode[]);
