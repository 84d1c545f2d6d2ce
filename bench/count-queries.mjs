// Preload for bench/worker-cost.mjs (NODE_OPTIONS="--import …"): counts the SQL statements a
// process sends through node-postgres, by their first 90 characters. SIGUSR2 writes the counts
// since the last signal to $WORKER_COST_DIR/counts-PID.json and starts counting again.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const pg = createRequire(`${process.env.WORKER_COST_ROOT}/package.json`)("pg");
const counts = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const text = typeof config === "string" ? config : config?.text;
  const key = String(text).replace(/\s+/g, " ").trim().slice(0, 90);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return query.call(this, config, values, callback);
};
process.on("SIGUSR2", () => {
  writeFileSync(
    `${process.env.WORKER_COST_DIR}/counts-${process.pid}.json`,
    JSON.stringify(Object.fromEntries(counts)),
  );
  counts.clear();
});
