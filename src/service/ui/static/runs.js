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
 * How long a run took (or has taken so far), e.g. "850 ms", "12 s", "3 min 4 s".
 * @param {{ created_at: string, finished_at: string | null }} run
 */
export function runDuration(run) {
  const end = run.finished_at !== null ? Date.parse(run.finished_at) : Date.now();
  const ms = Math.max(0, end - Date.parse(run.created_at));
  const text =
    ms < 1000
      ? `${ms} ms`
      : ms < 60_000
        ? `${Math.round(ms / 100) / 10} s`
        : ms < 3_600_000
          ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
          : `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  return run.finished_at === null ? `${text} so far` : text;
}

/**
 * A run's problem in a few words for a list: the error's message (cut), or what was not sent.
 * @param {any} run
 */
function runProblem(run) {
  if (run.error !== null && run.error !== undefined) {
    const where = run.error.step !== undefined ? `at step ${run.error.step + 1}: ` : "";
    const full = `${where}${run.error.message}`;
    return h(
      "span",
      { class: "error-text", title: full },
      full.length > 110 ? `${full.slice(0, 109)}…` : full,
    );
  }
  if (
    run.notifications !== null &&
    run.notifications !== undefined &&
    run.notifications.not_sent > 0
  )
    return h(
      "span",
      { class: "warn-text", title: run.notifications.summary },
      "notifications not sent",
    );
  return "";
}

/**
 * Fills in, once the table is shown, the labels of ids the caller could not name (an integration
 * page names only itself): every link with `data-label-of` gets the hire's email or the
 * integration's name.
 * @param {HTMLElement} table
 */
function labelLater(table) {
  /** @type {Map<string, HTMLElement[]>} */
  const wanted = new Map();
  for (const link of table.querySelectorAll("[data-label-of]")) {
    const key = link.getAttribute("data-label-of") ?? "";
    wanted.set(key, [...(wanted.get(key) ?? []), /** @type {HTMLElement} */ (link)]);
  }
  for (const [key, links] of [...wanted].slice(0, 100)) {
    const [kind, id = ""] = key.split(":");
    void api("GET", `/api/${kind === "hire" ? "hires" : "integrations"}/${encodeURIComponent(id)}`)
      .then((found) => {
        const label = kind === "hire" ? found.props.email : found.name;
        for (const link of links) if (typeof label === "string") link.textContent = label;
      })
      .catch(() => undefined);
  }
}

/**
 * A table of runs with links to each. On a narrow screen each row becomes a small card (the cells
 * carry their column's name in `data-label`).
 * @param {any[]} runs
 * @param {Record<string, string>} [names] labels of integration and hire ids, where known
 */
export function runsTable(runs, names = {}) {
  if (runs.length === 0) return h("p", { class: "muted" }, "No runs yet.");
  /**
   * @param {"integration" | "hire"} kind
   * @param {string} id
   */
  const label = (kind, id) =>
    h(
      "a",
      {
        href: `#/${kind === "hire" ? "hires" : "integrations"}/${id}`,
        "data-label-of": names[id] === undefined ? `${kind}:${id}` : null,
      },
      names[id] ?? id,
    );
  const cell = (/** @type {string} */ title, /** @type {import("./dom.js").Children} */ content) =>
    h("td", { "data-label": title }, h("span", {}, content));
  const table = h(
    "table",
    { class: "list runs", "data-testid": "runs" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Run", "Status", "Integration", "Hire", "Created", "Took", "Problem"].map((title) =>
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
          { "data-run": run.id },
          cell("Run", [
            h("a", { href: `#/runs/${run.id}` }, run.id),
            run.block !== "execute" ? ` (${run.block})` : "",
          ]),
          cell("Status", statusBadge(run.status)),
          cell("Integration", label("integration", run.integration_id)),
          cell("Hire", run.hire_id !== null ? label("hire", run.hire_id) : ""),
          cell("Created", time(run.created_at)),
          cell("Took", runDuration(run)),
          cell("Problem", runProblem(run)),
        ),
      ),
    ),
  );
  queueMicrotask(() => labelLater(table));
  return table;
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
  /**
   * @param {string} name query parameter
   * @param {string} label
   * @param {string} any the empty choice
   * @param {Array<[string, string]>} choices value, text
   */
  const filter = (name, label, any, choices) =>
    h(
      "select",
      { "aria-label": label, name, onchange: go },
      h("option", { value: "" }, any),
      choices.map(([value, text]) =>
        h("option", { value, selected: query.get(name) === value }, text),
      ),
    );
  const bar = h(
    "form",
    { class: "filters", "data-testid": "run-filters" },
    filter(
      "status",
      "Status",
      "any status",
      STATUSES.map((status) => [status, status]),
    ),
    filter(
      "integration_id",
      "Integration",
      "any integration",
      integrations.items.map((/** @type {any} */ item) => [item.id, item.name]),
    ),
    filter(
      "hire_id",
      "Hire",
      "any hire",
      hires.items.map((/** @type {any} */ item) => [item.id, item.props.email]),
    ),
    [...filters.keys()].some((key) => key !== "limit")
      ? h("a", { href: "#/runs" }, "Clear filters")
      : null,
  );
  function go() {
    const chosen = new URLSearchParams();
    for (const select of bar.querySelectorAll("select"))
      if (select.value !== "") chosen.set(select.name, select.value);
    const text = chosen.toString();
    location.hash = `#/runs${text !== "" ? `?${text}` : ""}`;
  }
  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h("h1", {}, "Runs"),
      h("a", { class: "button", href: "#/runs/new" }, "Trigger a run"),
    ),
    bar,
    items.length === 0 && filters.size > 1
      ? h("p", { class: "muted" }, "No runs match these filters.")
      : runsTable(items, names),
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
        run.block === "sync"
          ? h(
              "a",
              { class: "button", href: `#/integrations/${run.integration_id}/sync?run=${run.id}` },
              "Preview and apply",
            )
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
            ? fact("Step", `step ${run.step + 1}, attempt ${run.attempt}`)
            : null,
          fact("Created", time(run.created_at)),
          fact("Finished", time(run.finished_at)),
          fact("Took", runDuration(run)),
          run.wake_at !== null ? fact("Wakes", time(run.wake_at)) : null,
          run.pending_request !== null ? fact("Pending", run.pending_request) : null,
          run.idempotency_key !== null ? fact("Idempotency-Key", run.idempotency_key) : null,
        ),
        run.error !== null
          ? h(
              "div",
              { class: "error-box", "data-testid": "run-error" },
              h("strong", {}, run.error.code),
              // Said as the CLI says it: 1-based step for people, the manifest path beside it.
              run.error.step !== undefined
                ? ` at step ${run.error.step + 1}`
                : run.error.path !== undefined
                  ? " at"
                  : "",
              run.error.path !== undefined
                ? [
                    run.error.step !== undefined ? " (" : " ",
                    h("code", {}, run.error.path),
                    run.error.step !== undefined ? ")" : "",
                  ]
                : null,
              ": ",
              run.error.message,
            )
          : null,
        Object.keys(run.params).length > 0
          ? [h("h3", {}, "Params"), h("pre", {}, pretty(run.params))]
          : null,
        Object.keys(run.stored).length > 0
          ? [h("h3", {}, "Stored"), h("pre", { "data-testid": "run-stored" }, pretty(run.stored))]
          : null,
        run.result !== null ? [h("h3", {}, "Result"), h("pre", {}, pretty(run.result))] : null,
        run.notifications !== null ? notificationsView(run.notifications) : null,
      ),
      run.files.length > 0 ? filesCard(path, run.files) : null,
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Attempts"),
        attemptTimeline(run.attempts, run.error),
      ),
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

/**
 * What was and was not sent after the run, in words, with each message's outcome.
 * @param {{ status: string, summary: string, results: any[] }} notifications
 */
function notificationsView(notifications) {
  const ok = notifications.status === "sent";
  return [
    h("h3", {}, "Notifications"),
    h(
      "p",
      {
        class: ok ? "ok-box" : notifications.status === "sending" ? "muted" : "warn-box",
        "data-testid": "notifications",
      },
      notifications.summary.charAt(0).toUpperCase() + notifications.summary.slice(1),
      ".",
    ),
    notifications.results.length > 0
      ? h(
          "ul",
          {},
          notifications.results.map((result) =>
            h(
              "li",
              {},
              `${result.type} to ${result.to}: `,
              result.ok
                ? h("span", { class: "badge ok" }, "sent")
                : [
                    h("span", { class: "badge warn" }, "not sent"),
                    " ",
                    result.error?.message ?? "",
                  ],
            ),
          ),
        )
      : null,
  ];
}
