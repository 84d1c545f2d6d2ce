// The small page the admin's browser lands on after the provider's callback: connected, or why
// not. JSON instead when the client asks only for JSON (scripts, tests).
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../../errors/index.ts";

export interface CallbackOutcome {
  status: ContentfulStatusCode;
  connected: boolean;
  /** One sentence for the admin; never holds a token. */
  message: string;
  code?: ErrorCode;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** Answers the callback with an HTML page, or JSON when the client accepts JSON but not HTML. */
export function callbackPage(c: Context, outcome: CallbackOutcome): Response {
  // The page may quote a provider's error text: never cache it, never let it be framed.
  c.header("cache-control", "no-store");
  c.header("x-frame-options", "DENY");
  c.header("referrer-policy", "no-referrer");
  const accept = c.req.header("accept") ?? "";
  if (accept.includes("application/json") && !accept.includes("text/html")) {
    return c.json(
      {
        connected: outcome.connected,
        message: outcome.message,
        ...(outcome.code !== undefined ? { code: outcome.code } : {}),
      },
      outcome.status,
    );
  }
  const title = outcome.connected ? "Connected" : "Not connected";
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>hirewire: ${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>${title}</h1>
<p>${escapeHtml(outcome.message)}</p>
${outcome.connected ? "<p>You can close this tab.</p>" : ""}
</body>
</html>
`;
  return c.html(html, outcome.status);
}
