// How a request changes when it follows a redirect (RFC 9110 §15.4 and what browsers do): which
// method and body go on, and which credentials stay behind when the origin changes. Pure.
import type { HttpMethod } from "../manifest/types.ts";
import type { RequestBody } from "../exchange/types.ts";

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
 * method and body; 303, and 301/302 after POST, become GET without a body; Authorization and
 * Cookie are dropped once the request leaves the origin it was sent to.
 */
export function nextHopRequest(current: HopRequest, status: number, location: URL): HopRequest {
  let { method, body, headers } = current;
  const becomesGet =
    (status === 303 && method !== "HEAD") ||
    ((status === 301 || status === 302) && method === "POST");
  if (becomesGet) {
    method = "GET";
    body = { kind: "none" };
    headers = headers.filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()));
  }
  if (location.origin !== current.url.origin) {
    headers = headers.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
  }
  return { method, url: location, headers, body };
}
