// `node --import ./test/support/trace-loads.mjs …` appends the URL of every module the process
// loads (ES modules, and CommonJS packages imported from them) to the file named by
// TRACE_LOADS_FILE, one a line. It registers itself as a module-loading hook on the main thread;
// Node runs the hook in a thread of its own, where the `load` export below is used.
import { appendFileSync } from "node:fs";
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

if (isMainThread) register(import.meta.url);

export async function load(url, context, next) {
  const file = process.env.TRACE_LOADS_FILE;
  if (file) appendFileSync(file, `${url}\n`);
  return next(url, context);
}
