// The request-size limit of /api/. Hono's bodyLimit starts with `c.req.raw.body`, which makes
// @hono/node-server build a whole web Request and ReadableStream around every Node request with
// a body, where the handlers read it directly from the socket otherwise: a tenth of the API's
// CPU per `POST /api/runs` in the profile. A body with a Content-Length is judged by that header
// (Node's HTTP parser delivers exactly that many bytes, never more); a body whose size nobody
// declared (chunked, or a Request handed to the app in-process) goes through Hono's middleware,
// which counts its bytes as they arrive.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

export function requestBodyLimit(options: {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}): MiddlewareHandler {
  const counting = bodyLimit(options);
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined)
      return counting(c, next);
    if (Number.parseInt(length, 10) > options.maxSize) return options.onError(c);
    await next();
  };
}
