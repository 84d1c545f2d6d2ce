// Pritunl's request signing (extra_headers: "pritunl"): Auth-Token, Auth-Timestamp, Auth-Nonce and
// Auth-Signature = base64(HMAC-SHA256(API_SECRET, token&timestamp&nonce&METHOD&path)). Computed
// per hop at send time, since it needs the clock and a fresh nonce; never part of any record.
import { createHmac, randomUUID } from "node:crypto";

export function pritunlHeaders(
  sign: { token: string; secret: string },
  method: string,
  path: string,
  now = Date.now(),
): Array<[string, string]> {
  const timestamp = String(Math.floor(now / 1000));
  const nonce = randomUUID().replaceAll("-", "");
  const signature = createHmac("sha256", sign.secret)
    .update([sign.token, timestamp, nonce, method.toUpperCase(), path].join("&"))
    .digest("base64");
  return [
    ["Auth-Token", sign.token],
    ["Auth-Timestamp", timestamp],
    ["Auth-Nonce", nonce],
    ["Auth-Signature", signature],
  ];
}
