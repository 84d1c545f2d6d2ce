// How a request changes when it follows a redirect (RFC 9110 §15.4 and what browsers do): which
// method and body go on, and what stays behind when the origin changes: Authorization, Cookie and
// every header holding a secret; a body holding a secret is never resent there. Pure.
import { hirewireError } from "../errors/index.ts";
import type { HttpMethod } from "../manifest/types.ts";
import { NO_BODY, type RequestBody } from "../exchange/types.ts";

/** True when `text` holds a secret in any form (the runner passes its redactor's test). */
export type SecretTest = (text: string) => boolean;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = new Set(["content-type", "content-length", "content-encoding"]);
const CREDENTIAL_HEADERS = new Set(["authorization", "cookie"]);

/** The parts of a request that a redirect may change. */
export interface HopRequest {
  method: HttpMethod;
  url: URL;
  headers: Array<[string, string]>;
  body: RequestBody;
}

/** True for the statuses that redirect when they carry a Location. */
export function isRedirectStatus(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/**
 * The request to send after `status` pointed at `location` (already absolute). 307/308 keep
 * method and body; 303, and 301/302 after POST, become GET without a body. Once the request
 * leaves the origin it was sent to, Authorization, Cookie and every header in which
 * `holdsSecret` finds a secret are dropped, and a body that must be resent but holds a secret
 * throws HTTP_REDIRECT_SECRET instead (the target would receive the secret).
 */
export function nextHopRequest(
  current: HopRequest,
  status: number,
  location: URL,
  holdsSecret?: SecretTest,
): HopRequest {
  let { method, body, headers } = current;
  const becomesGet =
    (status === 303 && method !== "HEAD") ||
    ((status === 301 || status === 302) && method === "POST");
  if (becomesGet) {
    method = "GET";
    body = NO_BODY;
    headers = headers.filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()));
  }
  if (location.origin !== current.url.origin) {
    headers = headers.filter(
      ([name, value]) =>
        !CREDENTIAL_HEADERS.has(name.toLowerCase()) &&
        holdsSecret?.(value) !== true &&
        holdsSecret?.(name) !== true,
    );
    if (holdsSecret !== undefined && bodyHoldsSecret(body, holdsSecret)) {
      const facts = { status, from: current.url.origin, to: location.origin };
      throw hirewireError("HTTP_REDIRECT_SECRET", "crossOrigin", facts, { details: facts });
    }
  }
  return { method, url: location, headers, body };
}

function bodyHoldsSecret(body: RequestBody, holdsSecret: SecretTest): boolean {
  switch (body.kind) {
    case "none":
      return false;
    case "text":
      return holdsSecret(body.text);
    case "multipart":
      return body.fields.some((field) => holdsSecret(field.name) || holdsSecret(field.value));
  }
}
