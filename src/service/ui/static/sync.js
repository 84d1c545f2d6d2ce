// @ts-check
// Sync users, for an integration whose manifest is a sync-users manifest: its schedule and last
// sync runs, "Preview sync" (POST …/sync: fetch the directory, change nothing), the preview of a
// run — who would be created, updated or skipped and why, and the entries missing fields — and
// "Apply" (once per run). Scheduled syncs are applied by the service without a preview.

import { api } from "./api.js";
import { errorBox, h, replace, statusBadge, time } from "./dom.js";
import { runDuration } from "./runs.js";

/** @typedef {import("./app.js").View} View */

const FINISHED = ["succeeded", "failed", "blocked", "cancelled"];
const POLL_MS = 1000;

/**
 * @param {string} title
 * @param {string[]} columns
 * @param {Array<Array<import("./dom.js").Child>>} rows
 * @param {string} testid
 */
function table(title, columns, rows, testid) {
  return [
    h("h3", {}, `${title} (${rows.length})`),
    rows.length === 0
      ? h("p", { class: "muted" }, "None.")
      : h(
          "table",
          { class: "list", "data-testid": testid },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              columns.map((column) => h("th", {}, column)),
            ),
          ),
          h(
            "tbody",
            {},
            rows.map((cells) =>
              h(
                "tr",
                {},
                cells.map((cell) => h("td", { class: "wrap" }, cell)),
              ),
            ),
          ),
        ),
  ];
}

/** @param {unknown} value */
function text(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** @param {any} plan */
function planView(plan) {
  const summary =
    plan.action === "create"
      ? `${plan.create.length} to create, ${plan.unchanged} already hires, ${plan.skipped.length} skipped`
      : `${plan.update.length} to update, ${plan.unchanged} unchanged, ${plan.skipped.length} skipped`;
  return [
    h(
      "p",
      { "data-testid": "sync-summary" },
      `${plan.users} users on ${plan.pages} ${plan.pages === 1 ? "page" : "pages"}: ${summary}.`,
    ),
    plan.action === "create"
      ? table(
          "Would be created",
          ["Email", "Props"],
          plan.create.map((/** @type {Record<string, unknown>} */ props) => [
            text(props.email ?? ""),
            Object.entries(props)
              .filter(([name]) => name !== "email")
              .map(([name, value]) => `${name}: ${text(value)}`)
              .join(", "),
          ]),
          "sync-create",
        )
      : table(
          "Would be updated",
          ["Email", "Stored fields written"],
          plan.update.map((/** @type {any} */ item) => [
            h("a", { href: `#/hires/${item.hire_id}` }, item.email),
            Object.entries(item.fields)
              .map(([name, value]) => `${name}: ${text(value)}`)
              .join(", "),
          ]),
          "sync-update",
        ),
    table(
      "Skipped",
      ["Email", "Why", "Where"],
      plan.skipped.map((/** @type {any} */ item) => [
        item.email ?? "—",
        item.reason,
        item.page !== undefined ? `page ${item.page}, entry ${(item.index ?? 0) + 1}` : "",
      ]),
      "sync-skipped",
    ),
    table(
      "Incomplete entries (kept without the missing fields)",
      ["Email", "Missing", "Where"],
      plan.incomplete.map((/** @type {any} */ item) => [
        item.email ?? "—",
        item.missing.join(", "),
        `page ${item.page}, entry ${item.index + 1}`,
      ]),
      "sync-incomplete",
    ),
  ];
}

/** @param {any} applied */
function appliedText(applied) {
  return `Applied ${new Date(applied.applied_at).toLocaleString()}: ${applied.created} created, ${applied.updated} updated, ${applied.unchanged} unchanged, ${applied.skipped} skipped.`;
}

/** @param {View} view */
export async function syncView({ root, params, query, onDispose }) {
  const id = encodeURIComponent(params.id ?? "");
  const runId = query.get("run");
  const [integration, runs] = await Promise.all([
    api("GET", `/api/integrations/${id}`),
    api("GET", `/api/runs?integration_id=${id}&limit=100`),
  ]);
  const manifest = integration.manifest ?? {};
  const result = h("div", { class: "result" });
  const start = h("button", { type: "button" }, "Preview sync");
  start.addEventListener("click", async () => {
    start.disabled = true;
    try {
      const run = await api("POST", `/api/integrations/${id}/sync`);
      location.hash = `#/integrations/${integration.id}/sync?run=${run.id}`;
    } catch (caught) {
      replace(result, errorBox(/** @type {any} */ (caught)));
      start.disabled = false;
    }
  });
  const syncRuns = runs.items.filter((/** @type {any} */ run) => run.block === "sync").slice(0, 10);
  const preview = h("div", { class: "card", "data-testid": "sync-preview" });
  const isSync = "action" in manifest || "data_structure" in manifest;
  replace(
    root,
    h(
      "div",
      { class: "view-head" },
      h(
        "h1",
        {},
        "Sync users: ",
        h("a", { href: `#/integrations/${integration.id}` }, integration.name),
      ),
      isSync ? start : null,
    ),
    result,
    isSync
      ? null
      : h(
          "p",
          { class: "error-box" },
          "This integration is not a sync-users manifest (it has no action).",
        ),
    h(
      "div",
      { class: "card" },
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Action"),
        h(
          "dd",
          {},
          manifest.action === "update" ? "update stored fields of hires" : "create hires",
        ),
        h("dt", {}, "Schedule"),
        h(
          "dd",
          { "data-testid": "sync-schedule" },
          typeof manifest.schedule === "string" && manifest.schedule.trim() !== ""
            ? [
                h("code", {}, manifest.schedule),
                " (server time; scheduled syncs are applied without a preview)",
              ]
            : "none: it runs only when started here",
        ),
      ),
    ),
    runId !== null ? preview : null,
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Last syncs"),
      syncRuns.length === 0
        ? h("p", { class: "muted" }, "No sync has run yet.")
        : h(
            "table",
            { class: "list runs", "data-testid": "sync-runs" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Run", "Started by", "Status", "Created", "Took", ""].map((title) =>
                  h("th", {}, title),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              syncRuns.map((/** @type {any} */ run) =>
                h(
                  "tr",
                  {},
                  h("td", { "data-label": "Run" }, h("a", { href: `#/runs/${run.id}` }, run.id)),
                  h(
                    "td",
                    { "data-label": "Started by" },
                    typeof run.idempotency_key === "string" &&
                      run.idempotency_key.startsWith("schedule:")
                      ? "schedule"
                      : "an admin",
                  ),
                  h("td", { "data-label": "Status" }, statusBadge(run.status)),
                  h("td", { "data-label": "Created" }, time(run.created_at)),
                  h("td", { "data-label": "Took" }, runDuration(run)),
                  h(
                    "td",
                    { "data-label": "" },
                    h(
                      "a",
                      { href: `#/integrations/${integration.id}/sync?run=${run.id}` },
                      "Preview",
                    ),
                  ),
                ),
              ),
            ),
          ),
    ),
  );
  if (runId === null) return;

  let timer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);
  let disposed = false;
  onDispose(() => {
    disposed = true;
    clearTimeout(timer);
  });
  const path = `/api/integrations/${id}/sync/${encodeURIComponent(runId)}`;
  const applyResult = h("div", { class: "result" });
  /** @param {any} answer */
  const render = (answer) => {
    const apply = h("button", { type: "button" }, "Apply");
    apply.addEventListener("click", async () => {
      apply.disabled = true;
      try {
        const done = await api("POST", `${path}/apply`);
        replace(
          applyResult,
          h("p", { class: "ok-box", "data-testid": "sync-applied" }, appliedText(done)),
        );
      } catch (caught) {
        replace(applyResult, errorBox(/** @type {any} */ (caught)));
        apply.disabled = false;
      }
    });
    replace(
      preview,
      h(
        "div",
        { class: "view-head" },
        h("h2", {}, "Preview of ", h("a", { href: `#/runs/${answer.run_id}` }, answer.run_id)),
        statusBadge(answer.status),
      ),
      answer.error !== null ? errorBox(answer.error) : null,
      !FINISHED.includes(answer.status)
        ? h("p", { class: "muted" }, "Fetching the directory… nothing is changed until you apply.")
        : null,
      answer.plan !== null ? planView(answer.plan) : null,
      answer.applied !== null
        ? h("p", { class: "ok-box", "data-testid": "sync-applied" }, appliedText(answer.applied))
        : answer.plan !== null
          ? [
              h(
                "p",
                {},
                "Nothing has changed yet. Apply to make these changes now (the plan is computed again against the hires as they are).",
              ),
              apply,
            ]
          : null,
      applyResult,
    );
  };
  const load = async () => {
    const answer = await api("GET", `${path}/preview`);
    if (disposed) return;
    render(answer);
    if (!FINISHED.includes(answer.status))
      timer = setTimeout(
        () => void load().catch((caught) => replace(preview, errorBox(caught))),
        POLL_MS,
      );
  };
  await load();
}
