// A local paginated user directory for sync tests, on port 0. Two styles, like real HR systems:
//   GET /v1/users?limit=N&cursor=T   → {data: {users: [...]}, meta: {next_cursor}}   (token + next_page)
//   GET /v2/people?page=P&per_page=N → {people: [...], links: {next: "<full URL>"}} (next_page_from)
// `prefix` names the users (`${prefix}${n}@corp.example`), `upper=1` spells emails in capitals,
// `gate=1` holds responses between hold() and release(), so a test can see a sync still running.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const DIRECTORY_TOKEN = "dir_SECRET_token_5e6f7a8b";

export interface DirectoryServer {
  url: string;
  /** Users in the directory (per prefix). */
  size: number;
  /** Requests received, by path (`/v1/users`, `/v2/people`). */
  requests: (path: string) => number;
  /** Overrides a user's title (by number), to see an update sync change one field. */
  setTitle(n: number, title: string): void;
  /** Lets gated requests answer (until hold()). */
  release(): void;
  /** Gates requests again. */
  hold(): void;
  close(): Promise<void>;
}

function user(prefix: string, n: number, upper: boolean, titles: Map<number, string>) {
  const email = `${prefix}${String(n).padStart(5, "0")}@corp.example`;
  return {
    id: n,
    mail: upper ? email.toUpperCase() : email,
    name: { first: `First${n}`, last: `Last${n}` },
    job: { title: titles.get(n) ?? `Engineer ${n % 7}`, department: `Dept ${n % 5}` },
  };
}

export async function startDirectoryServer(size = 10_000): Promise<DirectoryServer> {
  const counts = new Map<string, number>();
  const titles = new Map<number, string>();
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (release = resolve));
  const server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
    if (req.headers.authorization !== `Bearer ${DIRECTORY_TOKEN}`)
      return send(res, 401, { error: "unauthorized" });
    if (url.searchParams.get("gate") === "1") await gate;
    const prefix = url.searchParams.get("prefix") ?? "user";
    const upper = url.searchParams.get("upper") === "1";
    const slice = (from: number, count: number) =>
      Array.from({ length: Math.max(0, Math.min(count, size - from)) }, (_, i) =>
        user(prefix, from + i + 1, upper, titles),
      );
    if (url.pathname === "/v1/users") {
      const limit = Number(url.searchParams.get("limit") ?? "100");
      const from = Number(url.searchParams.get("cursor") ?? "0");
      const users = slice(from, limit);
      const next = from + limit < size ? String(from + limit) : null;
      return send(res, 200, { data: { users }, meta: { next_cursor: next } });
    }
    if (url.pathname === "/v2/people") {
      const perPage = Number(url.searchParams.get("per_page") ?? "100");
      const page = Number(url.searchParams.get("page") ?? "1");
      const people = slice((page - 1) * perPage, perPage);
      const nextUrl = new URL(url);
      nextUrl.searchParams.set("page", String(page + 1));
      const links = page * perPage < size ? { next: nextUrl.toString() } : {};
      return send(res, 200, { people, links });
    }
    return send(res, 404, { error: "not found" });
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    size,
    requests: (path) => counts.get(path) ?? 0,
    setTitle: (n, title) => titles.set(n, title),
    release: () => release(),
    hold() {
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
