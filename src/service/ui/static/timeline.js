// @ts-check
// A run's attempts as a timeline: one entry per HTTP exchange, grouped by step, with the request
// and the response exactly as the API returns them (already masked: `***API_TOKEN***`).

import { h, pretty, time } from "./dom.js";

/**
 * @typedef {{ id: string, seq: number, step: number, attempt: number, name?: string, started_at: string,
 *   duration_ms: number, request: Record<string, any> | null, response: Record<string, any> | null,
 *   redirects: any[], error: Record<string, any> | null, resent_after_interruption?: boolean }} Attempt
 */

/** @param {Record<string, unknown> | undefined} headers */
function headerList(headers) {
  const entries = Object.entries(headers ?? {});
  if (entries.length === 0) return null;
  return h(
    "table",
    { class: "headers" },
    h(
      "tbody",
      {},
      entries.map(([name, value]) =>
        h(
          "tr",
          {},
          h("th", {}, name),
          h("td", {}, Array.isArray(value) ? value.join(", ") : String(value)),
        ),
      ),
    ),
  );
}

/**
 * A multipart request's parts: its fields (the recorded body is a JSON object of field values)
 * and its files, one row each.
 * @param {Record<string, any>} request
 */
function multipartParts(request) {
  /** @type {Record<string, unknown>} */
  let fields = {};
  try {
    const parsed = JSON.parse(String(request.body ?? "{}"));
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) fields = parsed;
  } catch {
    fields = { "(body)": request.body };
  }
  const rows = [
    ...Object.entries(fields).map(([name, value]) =>
      h(
        "tr",
        {},
        h("th", {}, name),
        h("td", { class: "part-kind" }, "field"),
        h("td", { class: "wrap" }, typeof value === "string" ? value : JSON.stringify(value)),
      ),
    ),
    ...request.files.map((/** @type {any} */ file) =>
      h(
        "tr",
        {},
        h("th", {}, file.field),
        h("td", { class: "part-kind" }, "file"),
        h(
          "td",
          {},
          `${file.name} · ${formatSize(file.size)} · ${file.content_type ?? "application/octet-stream"}`,
        ),
      ),
    ),
  ];
  return [
    h(
      "p",
      { class: "muted" },
      `multipart/form-data, ${rows.length} ${rows.length === 1 ? "part" : "parts"}`,
    ),
    h("table", { class: "headers", "data-testid": "multipart" }, h("tbody", {}, rows)),
  ];
}

/** @param {number} bytes */
function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** @param {Record<string, any>} part a request or a response */
function body(part) {
  if (Array.isArray(part.files)) return multipartParts(part);
  const file =
    part.file !== undefined && part.file !== null
      ? h(
          "p",
          { class: "muted" },
          `saved as file ${part.file.name} (${part.file.content_type}, ${formatSize(part.file.size)})`,
        )
      : null;
  const text =
    part.body !== undefined && part.body !== null && part.body !== ""
      ? h("pre", { class: "body" }, pretty(part.body))
      : null;
  return [file, text];
}

/**
 * What the timeline says about an attempt beyond its exchange: sent after a resume, and whether
 * a 2xx answer did not meet the step's condition (the step was sent again, or the run stopped).
 * @typedef {{ resumed: boolean, notMet: string | null }} Notes
 */

/**
 * @param {Attempt} attempt
 * @param {boolean} open show the exchange without a click (the latest attempt)
 * @param {Notes} notes
 */
function entry(attempt, open, notes) {
  const request = attempt.request;
  const response = attempt.response;
  const ok =
    attempt.error === null && response !== null && response.status < 400 && notes.notMet === null;
  return h(
    "li",
    {
      class: `attempt ${ok ? "ok" : notes.notMet !== null ? "not-met" : "bad"}`,
      "data-testid": "attempt",
    },
    h(
      "div",
      { class: "attempt-head" },
      h("span", { class: "step" }, `step ${attempt.step + 1}`),
      attempt.name !== undefined ? h("strong", {}, attempt.name) : null,
      h("span", { class: "muted" }, `attempt ${attempt.attempt}`),
      notes.resumed
        ? h(
            "span",
            { class: "badge warn", "data-testid": "resumed", title: "the run was resumed here" },
            "after resume",
          )
        : null,
      attempt.resent_after_interruption
        ? h("span", { class: "muted" }, "resent after an interruption, same Idempotency-Key")
        : null,
      request !== null ? h("code", {}, `${request.method} ${request.url}`) : null,
      response !== null
        ? h(
            "span",
            { class: `http-status ${response.status < 400 ? "ok" : "bad"}` },
            String(response.status),
          )
        : null,
      h(
        "span",
        { class: "muted" },
        time(attempt.started_at),
        ` · ${Math.round(attempt.duration_ms)} ms`,
      ),
    ),
    notes.notMet !== null
      ? h("div", { class: "warn-box", "data-testid": "not-met" }, notes.notMet)
      : null,
    attempt.error !== null
      ? h(
          "div",
          { class: "error-box" },
          h("strong", {}, attempt.error.code ?? "Error"),
          " ",
          attempt.error.message ?? pretty(attempt.error),
        )
      : null,
    h(
      "details",
      { class: "exchange", open },
      h("summary", {}, "Request and response"),
      h(
        "div",
        { class: "exchange-grid" },
        h(
          "div",
          {},
          h("h4", {}, "Request"),
          request !== null
            ? [headerList(request.headers), body(request)]
            : h("p", { class: "muted" }, "not sent"),
        ),
        h(
          "div",
          {},
          h("h4", {}, "Response"),
          response !== null
            ? [headerList(response.headers), body(response)]
            : h("p", { class: "muted" }, "no response"),
          attempt.redirects.length > 0
            ? [h("h4", {}, "Redirects"), h("pre", {}, pretty(attempt.redirects))]
            : null,
        ),
      ),
    ),
  );
}

/**
 * The notes of each attempt (same order). An attempt numbered no higher than an earlier one of
 * its step was sent after a resume (a resume starts the step's count again). A 2xx answer with
 * no error followed by another attempt of the same step, or that the run stopped at with
 * BLOCKED or POLL_TIMEOUT, did not meet the step's continue_if.
 * @param {Attempt[]} sorted oldest first
 * @param {{ code?: string, step?: number } | null} runError
 * @returns {Notes[]}
 */
function notesOf(sorted, runError) {
  return sorted.map((attempt, index) => {
    const earlier = sorted.slice(0, index).filter((other) => other.step === attempt.step);
    const resumed = earlier.some((other) => other.attempt >= attempt.attempt);
    const next = sorted[index + 1];
    const answered =
      attempt.error === null &&
      attempt.response !== null &&
      attempt.response.status >= 200 &&
      attempt.response.status < 300;
    const sentAgain =
      next !== undefined && next.step === attempt.step && next.attempt > attempt.attempt;
    const stoppedHere =
      next === undefined &&
      runError !== null &&
      runError.step === attempt.step &&
      (runError.code === "BLOCKED" || runError.code === "POLL_TIMEOUT");
    const notMet = !answered
      ? null
      : sentAgain
        ? "condition not met (continue_if): polled again"
        : stoppedHere
          ? `condition not met (continue_if): the run stopped (${runError?.code})`
          : null;
    return { resumed, notMet };
  });
}

/**
 * The attempts, oldest first.
 * @param {Attempt[]} attempts
 * @param {{ code?: string, step?: number } | null} [runError] why the run stopped, if it did
 */
export function attemptTimeline(attempts, runError = null) {
  if (attempts.length === 0) return h("p", { class: "muted" }, "No requests sent yet.");
  const sorted = [...attempts].sort((a, b) => a.seq - b.seq);
  const notes = notesOf(sorted, runError);
  return h(
    "ol",
    { class: "timeline", "data-testid": "timeline" },
    sorted.map((attempt, index) =>
      entry(attempt, index === sorted.length - 1, notes[index] ?? { resumed: false, notMet: null }),
    ),
  );
}
