// A fake OAuth 2 provider on 127.0.0.1 (port 0) that behaves like the strict real ones: codes work
// once and only with the redirect_uri they were issued for, refresh tokens rotate (the old one
// stops working), and its API answers 401 to any access token that is not current. Every token it
// ever issued is kept so tests can grep outputs for leaks.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const CLIENT_ID = "hirewire-test-client";
export const CLIENT_SECRET = "cs_fake_client_secret_7d1e9a";

export interface ProviderEvent {
  /** "token:authorization_code", "token:refresh_token", "token:client_credentials", "api", … */
  kind: string;
  /** The HTTP status the provider answered. */
  status: number;
  /** The access token an API call presented (to check which token a run used). */
  token?: string;
}

export interface FakeOAuthProvider {
  url: string;
  events: ProviderEvent[];
  /** `expires_in` (seconds) of the next tokens issued. */
  expiresIn: number;
  /** Answer 401 to every API call, whatever the token (a revoked grant). */
  rejectAll: boolean;
  /** Milliseconds the API waits before answering (a slow provider; default 0). */
  apiDelayMs: number;
  /** What the admin's consent produces: a one-time code bound to `redirectUri`. */
  issueCode(redirectUri: string): string;
  /** Makes the provider forget an access token, as if it expired on its side. */
  revokeAccess(token: string): void;
  /** The current token pair (undefined before the first exchange). */
  current(): { access: string; refresh?: string } | undefined;
  /** Every code, access and refresh token ever issued. */
  issued(): string[];
  count(kind: string): number;
  close(): Promise<void>;
}

function token(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString("base64url")}`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if ((req.headers["content-type"] ?? "").includes("application/json")) {
    const json = JSON.parse(text) as Record<string, string>;
    return new URLSearchParams(json);
  }
  return new URLSearchParams(text);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export async function startFakeOAuthProvider(): Promise<FakeOAuthProvider> {
  const codes = new Map<string, string>();
  const issued: string[] = [];
  let access: string | undefined;
  let refresh: string | undefined;
  const events: ProviderEvent[] = [];

  const provider = {
    url: "",
    events,
    expiresIn: 3600,
    rejectAll: false,
    apiDelayMs: 0,
    issueCode(redirectUri: string) {
      const code = token("code");
      codes.set(code, redirectUri);
      issued.push(code);
      return code;
    },
    revokeAccess(value: string) {
      if (access === value) access = undefined;
    },
    current: () =>
      access !== undefined ? { access, ...(refresh !== undefined ? { refresh } : {}) } : undefined,
    issued: () => [...issued],
    count: (kind: string) => events.filter((event) => event.kind === kind).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  function tokens(withRefresh: boolean) {
    access = token("at");
    issued.push(access);
    if (withRefresh) {
      refresh = token("rt");
      issued.push(refresh);
    }
    return {
      access_token: access,
      ...(withRefresh ? { refresh_token: refresh } : {}),
      token_type: "Bearer",
      expires_in: provider.expiresIn,
    };
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const grant = form.get("grant_type") ?? "";
    const answer = (status: number, body: unknown) => {
      events.push({ kind: `token:${grant}`, status });
      send(res, status, body);
    };
    if (form.get("client_id") !== CLIENT_ID || form.get("client_secret") !== CLIENT_SECRET)
      return answer(401, { error: "invalid_client" });
    if (grant === "authorization_code") {
      const code = form.get("code") ?? "";
      const boundTo = codes.get(code);
      codes.delete(code);
      if (boundTo === undefined) return answer(400, { error: "invalid_grant" });
      if (form.get("redirect_uri") !== boundTo)
        return answer(400, { error: "invalid_grant", error_description: "redirect_uri mismatch" });
      return answer(200, tokens(true));
    }
    if (grant === "refresh_token") {
      if (refresh === undefined || form.get("refresh_token") !== refresh)
        return answer(400, { error: "invalid_grant", error_description: "refresh token revoked" });
      return answer(200, tokens(true));
    }
    if (grant === "client_credentials") return answer(200, tokens(false));
    return answer(400, { error: "unsupported_grant_type" });
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "POST" && path === "/token") {
      tokenEndpoint(req, res).catch(() => send(res, 500, { error: "server_error" }));
      return;
    }
    if (path === "/api/me") {
      const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
      const ok = !provider.rejectAll && presented !== undefined && presented === access;
      events.push({
        kind: "api",
        status: ok ? 200 : 401,
        ...(presented !== undefined ? { token: presented } : {}),
      });
      if (!ok) return send(res, 401, { error: "invalid_token" });
      const answer = () => send(res, 200, { user: "admin@provider.test", plan: "pro" });
      if (provider.apiDelayMs > 0) return void setTimeout(answer, provider.apiDelayMs);
      return answer();
    }
    send(res, 404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  provider.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return provider;
}
