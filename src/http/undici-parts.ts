// The parts of undici the sender uses, each required from its own file. `import "undici"` loads
// the whole package (fetch, WebSocket, caches, mocks, cookies): about 60 ms of CPU at every start
// of `hirewire run`, for classes a run never uses. These are the very objects the package exports
// (same files, same module cache); the types come from the package. undici's version is pinned in
// package.json: check these paths when it changes (test/cli-cold-start.test.ts runs them).
import { createRequire } from "node:module";
import type * as Undici from "undici";

const require = createRequire(import.meta.url);

// What undici's index.js does first: give every dispatcher `request`, `stream`, … (idempotent,
// so loading the whole package later, as a caller's own dispatcher may, changes nothing).
const dispatcher = require("undici/lib/dispatcher/dispatcher.js") as { prototype: object };
Object.assign(dispatcher.prototype, require("undici/lib/api/index.js") as object);

/** undici's Agent: a keep-alive pool per origin. */
export const Agent = require("undici/lib/dispatcher/agent.js") as typeof Undici.Agent;
export type Agent = Undici.Agent;

/** undici's connector factory (sockets with our own DNS lookup). */
export const buildConnector = require("undici/lib/core/connect.js") as typeof Undici.buildConnector;

/** undici's FormData, loaded on first use: only multipart bodies need it. */
export function formDataClass(): typeof Undici.FormData {
  const loaded = require("undici/lib/web/fetch/formdata.js") as {
    FormData: typeof Undici.FormData;
  };
  return loaded.FormData;
}
