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

/** @param {Record<string, any>} part a request or a response */
function body(part) {
  const files = Array.isArray(part.files)
    ? h(
        "ul",
        { class: "muted" },
        part.files.map((/** @type {any} */ file) =>
          h(
            "li",
            {},
            `file ${file.field}: ${file.name} (${file.content_type}, ${file.size} bytes)`,
          ),
        ),
      )
    : null;
  const file =
    part.file !== undefined && part.file !== null
      ? h(
          "p",
          { class: "muted" },
          `saved as file ${part.file.name} (${part.file.content_type}, ${part.file.size} bytes)`,
        )
      : null;
  const text =
    part.body !== undefined && part.body !== null && part.body !== ""
      ? h("pre", { class: "body" }, pretty(part.body))
      : null;
  return [files, file, text];
}

/**
 * @param {Attempt} attempt
 * @param {boolean} open show the exchange without a click (the latest attempt)
 */
function entry(attempt, open) {
  const request = attempt.request;
  const response = attempt.response;
  const ok = attempt.error === null && response !== null && response.status < 400;
  return h(
    "li",
    { class: `attempt ${ok ? "ok" : "bad"}`, "data-testid": "attempt" },
    h(
      "div",
      { class: "attempt-head" },
      h("span", { class: "step" }, `Step ${attempt.step + 1}`),
      attempt.name !== undefined ? h("strong", {}, attempt.name) : null,
      h("span", { class: "muted" }, `attempt ${attempt.attempt}`),
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
 * The attempts, oldest first.
 * @param {Attempt[]} attempts
 */
export function attemptTimeline(attempts) {
  if (attempts.length === 0) return h("p", { class: "muted" }, "No requests sent yet.");
  const sorted = [...attempts].sort((a, b) => a.seq - b.seq);
  return h(
    "ol",
    { class: "timeline", "data-testid": "timeline" },
    sorted.map((attempt, index) => entry(attempt, index === sorted.length - 1)),
  );
}
