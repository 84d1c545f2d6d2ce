// @ts-check
// Run pages: the list (filtered by status, integration or hire) and one run with its actions
// (cancel, resume), files and the timeline of attempts. An unfinished run is polled until it ends.

import { api, download } from "./api.js";
import { errorBox, h, pretty, replace, statusBadge, time } from "./dom.js";
import { attemptTimeline } from "./timeline.js";

/** @typedef {import("./app.js").View} View */

const FINISHED = ["succeeded", "failed", "blocked", "cancelled"];
const STATUSES = ["queued", "running", "waiting", ...FINISHED];
/** Often enough to watch a sandbox run unfold; an unfinished run is rarely watched for long. */
const POLL_MS = 1000;

/**
 * A table of runs with links to each.
 * @param {any[]} runs
 * @param {Record<string, string>} [names] labels of integration and hire ids, where known
 */
export function runsTable(runs, names = {}) {
  if (runs.length === 0) return h("p", { class: "muted" }, "No runs yet.");
  return h(
    "table",
    { class: "list", "data-testid": "runs" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Run", "Status", "Integration", "Hire", "Created", "Finished"].map((title) =>
          h("th", {}, title),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      runs.map((run) =>
        h(
          "tr",
          {},
          h(
            "td",
            {},
            h("a", { href: `#/runs/${run.id}` }, run.id),
            run.block !== "execute" ? ` (${run.block})` : "",
          ),
          h("td", {}, statusBadge(run.status)),
          h(
            "td",
            {},
            h(
              "a",
              { href: `#/integrations/${run.integration_id}` },
              names[run.integration_id] ?? run.integration_id,
            ),
          ),
          h(
            "td",
            {},
            run.hire_id !== null
              ? h("a", { href: `#/hires/${run.hire_id}` }, names[run.hire_id] ?? run.hire_id)
              : "",
          ),
          h("td", {}, time(run.created_at)),
          h("td", {}, time(run.finished_at)),
        ),
      ),
    ),
  );
}

/** @param {View} view */
export async function runsList({ root, query }) {
  const filters = new URLSearchParams({ limit: "100" });
  for (const name of ["status", "integration_id", "hire_id"]) {
    const value = query.get(name);
    if (value !== null && value !== "") filters.set(name, value);
  }
  const [{ items }, integrations, hires] = await Promise.all([
    api("GET", `/api/runs?${filters}`),
    api("GET", "/api/integrations?limit=500"),
    api("GET", "/api/hires?limit=500"),
  ]);
  /** @type {Record<string, string>} */
  const names = {};
  for (const integration of integrations.items) names[integration.id] = integration.name;
  for (const hire of hires.items) names[hire.id] = hire.props.email;
  const select = h(
    "select",
    {
      "aria-label": "Status",
      onchange: () =>
        (location.hash = `#/runs${select.value !== "" ? `?status=${select.value}` : ""}`),
    },
    h("option", { value: "" }, "any status"),
    STATUSES.map((status) =>
      h("option", { value: status, selected: query.get("status") === status }, status),
    ),
  );
  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h("h1", {}, "Runs"),
      select,
      h("a", { class: "button", href: "#/runs/new" }, "Trigger a run"),
    ),
    runsTable(items, names),
  );
}

/** @param {View} view */
export async function runDetail({ root, params, onDispose }) {
  const path = `/api/runs/${encodeURIComponent(params.id ?? "")}`;
  let timer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);
  let disposed = false;
  onDispose(() => {
    disposed = true;
    clearTimeout(timer);
  });
  const actionResult = h("div", { class: "result" });

  /** @param {"cancel" | "resume"} action */
  const act = async (action) => {
    try {
      await api("POST", `${path}/${action}`);
      replace(actionResult);
      await load();
    } catch (caught) {
      replace(actionResult, errorBox(/** @type {any} */ (caught)));
    }
  };

  /** @param {any} run */
  const render = (run) => {
    const unfinished = !FINISHED.includes(run.status);
    replace(
      root,
      h(
        "div",
        { class: "view-head" },
        h("h1", {}, "Run ", h("code", {}, run.id)),
        statusBadge(run.status),
        unfinished
          ? h(
              "button",
              { type: "button", class: "danger", onclick: () => void act("cancel") },
              "Cancel",
            )
          : null,
        run.status === "failed" || run.status === "blocked"
          ? h("button", { type: "button", onclick: () => void act("resume") }, "Resume")
          : null,
      ),
      actionResult,
      h(
        "div",
        { class: "card" },
        h(
          "dl",
          { class: "facts" },
          fact(
            "Integration",
            h(
              "a",
              { href: `#/integrations/${run.integration_id}` },
              labels.integration ?? run.integration_id,
            ),
          ),
          fact(
            "Hire",
            run.hire_id !== null
              ? h("a", { href: `#/hires/${run.hire_id}` }, labels.hire ?? run.hire_id)
              : "—",
          ),
          fact("Block", run.block),
          run.status !== "succeeded"
            ? fact("Step", `${run.step + 1} (attempt ${run.attempt})`)
            : null,
          fact("Created", time(run.created_at)),
          fact("Finished", time(run.finished_at)),
          run.wake_at !== null ? fact("Wakes", time(run.wake_at)) : null,
          run.pending_request !== null ? fact("Pending", run.pending_request) : null,
          run.idempotency_key !== null ? fact("Idempotency-Key", run.idempotency_key) : null,
        ),
        run.error !== null
          ? h(
              "div",
              { class: "error-box", "data-testid": "run-error" },
              h("strong", {}, run.error.code),
              " ",
              run.error.message,
              run.error.path !== undefined ? [" at ", h("code", {}, run.error.path)] : null,
            )
          : null,
        Object.keys(run.params).length > 0
          ? [h("h3", {}, "Params"), h("pre", {}, pretty(run.params))]
          : null,
        Object.keys(run.stored).length > 0
          ? [h("h3", {}, "Stored"), h("pre", { "data-testid": "run-stored" }, pretty(run.stored))]
          : null,
        run.result !== null ? [h("h3", {}, "Result"), h("pre", {}, pretty(run.result))] : null,
        run.notifications !== null
          ? [h("h3", {}, "Notifications"), h("pre", {}, pretty(run.notifications))]
          : null,
      ),
      run.files.length > 0 ? filesCard(path, run.files) : null,
      h("div", { class: "card" }, h("h2", {}, "Attempts"), attemptTimeline(run.attempts)),
    );
    return unfinished;
  };

  let shown = "";
  /** @type {{ integration?: string, hire?: string }} */
  const labels = {};
  const load = async () => {
    clearTimeout(timer);
    const run = await api("GET", path);
    if (disposed) return;
    if (shown === "") await nameThings(run, labels);
    // Re-render only on change, so an opened attempt or a selection survives the polling.
    const text = JSON.stringify(run);
    const unfinished = text === shown ? !FINISHED.includes(run.status) : render(run);
    shown = text;
    if (unfinished) timer = setTimeout(() => void load().catch(() => undefined), POLL_MS);
  };
  await load();
}

/**
 * The integration's name and the hire's email, for the run's facts; ids stay when either is gone.
 * @param {any} run
 * @param {{ integration?: string, hire?: string }} labels
 */
async function nameThings(run, labels) {
  const [integration, hire] = await Promise.all([
    api("GET", `/api/integrations/${encodeURIComponent(run.integration_id)}`).catch(
      () => undefined,
    ),
    run.hire_id !== null
      ? api("GET", `/api/hires/${encodeURIComponent(run.hire_id)}`).catch(() => undefined)
      : undefined,
  ]);
  if (integration !== undefined) labels.integration = integration.name;
  if (hire !== undefined) labels.hire = hire.props.email;
}

/**
 * @param {string} label
 * @param {import("./dom.js").Child} value
 */
function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

/**
 * @param {string} runPath
 * @param {Array<{ name: string, size: number, content_type: string, expires_at: string | null }>} files
 */
function filesCard(runPath, files) {
  return h(
    "div",
    { class: "card" },
    h("h2", {}, "Files"),
    h(
      "ul",
      { "data-testid": "files" },
      files.map((file) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "link",
              onclick: () =>
                void download(`${runPath}/files/${encodeURIComponent(file.name)}`, file.name),
            },
            file.name,
          ),
          h("span", { class: "muted" }, ` ${file.content_type}, ${file.size} bytes`),
          file.expires_at !== null
            ? [h("span", { class: "muted" }, " · kept until "), time(file.expires_at)]
            : null,
        ),
      ),
    ),
  );
}
