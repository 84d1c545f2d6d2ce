// Runs a CommonJS bundle with a V8 code cache kept beside it (FILE.cache): the first start
// compiles the bundle and, at exit, writes what V8 compiled during the run; later starts read that
// back instead of compiling again. A cache V8 rejects (another Node version, a rebuilt bundle) is
// replaced at the next exit. Writing is best-effort: a read-only install simply runs uncached.
// Node 22 has this built in (module.enableCompileCache); Node 20 does not.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname } from "node:path";
import vm from "node:vm";

/** Loads and runs `file` as the CommonJS module it is, as `require(file)` would. */
export function runCachedBundle(file) {
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    process.once("exit", () => {
      const partial = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile);
      } catch {
        // Not writable (an installed package, a full disk): the next start compiles again.
      }
    });
  }
  const module = new Module(file);
  module.filename = file;
  module.paths = Module._nodeModulePaths(dirname(file));
  const wrapper = script.runInThisContext();
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}
