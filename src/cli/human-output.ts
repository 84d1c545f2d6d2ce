// Human output of `hirewire run`/`resume`: one line per attempt, a live countdown while waiting
// between polls or retries, the stored fields and one sentence on failure. Everything printed here
// arrives already masked. Colour and the live line only on a TTY (picocolors honours NO_COLOR).
import pc from "picocolors";
import type { ErrorInfo, Problem } from "../errors/index.ts";
import type { AttemptRecord, RunResult } from "../runner/index.ts";

// Braille frames: a live indicator without a dependency, and cleared with one "\r\x1b[K".
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class HumanOutput {
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;
  private readonly colors: ReturnType<typeof pc.createColors>;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = out.isTTY === true;
    this.colors = pc.createColors(this.tty && pc.isColorSupported);
  }

  attempt(record: AttemptRecord, stepCount: number): void {
    this.stopWaiting();
    const c = this.colors;
    const label = `step ${record.step + 1}/${stepCount}${record.name !== undefined ? ` ${JSON.stringify(record.name)}` : ""}`;
    // An attempt line says what happened on the wire; whether the step passed (status_code,
    // expected, continue_if) is the run's verdict, printed at the end.
    const mark = record.error === undefined ? c.cyan("→") : c.red("✗");
    const code = record.response?.status;
    const status =
      code === undefined
        ? c.red(record.error?.code ?? "error")
        : code < 300
          ? c.green(String(code))
          : code < 400
            ? c.yellow(String(code))
            : c.red(String(code));
    const hops =
      record.redirects.length > 0
        ? c.dim(` (${record.redirects.length} redirect${record.redirects.length > 1 ? "s" : ""})`)
        : "";
    const file =
      record.response?.file !== undefined
        ? c.dim(` → file ${record.response.file.name} (${record.response.file.size} bytes)`)
        : "";
    this.out.write(
      `  ${mark} ${label} ${c.bold(record.request.method)} ${record.request.url} ${status} ${c.dim(`${record.durationMs} ms`)}${hops}${file}\n`,
    );
  }

  waiting(until: number, reason: "poll" | "retry", detail: string | undefined): void {
    this.stopWaiting();
    const c = this.colors;
    const why = reason === "poll" ? "before polling again" : "before retrying";
    const text = (left: number) =>
      `waiting ${(left / 1000).toFixed(1)} s ${why}${detail !== undefined ? ` (${detail})` : ""}`;
    if (!this.tty) {
      this.out.write(`    … ${text(Math.max(0, until - Date.now()))}\n`);
      return;
    }
    let frame = 0;
    const draw = () =>
      this.out.write(
        `\r\x1b[K    ${c.cyan(FRAMES[frame++ % FRAMES.length]!)} ${c.dim(text(Math.max(0, until - Date.now())))}`,
      );
    draw();
    this.timer = setInterval(draw, 100);
    this.timer.unref();
  }

  stopWaiting(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write("\r\x1b[K");
  }

  result(result: RunResult, elapsedMs: number): void {
    this.stopWaiting();
    const c = this.colors;
    for (const warning of result.warnings) this.out.write(`${c.yellow("warning:")} ${warning}\n`);
    const stored = Object.entries(result.stored);
    if (stored.length > 0) {
      this.out.write(`Stored fields:\n`);
      for (const [name, value] of stored) this.out.write(`  ${name} = ${JSON.stringify(value)}\n`);
    }
    for (const sent of result.notifications ?? []) {
      const mark = sent.ok ? c.green("✓") : c.yellow("!");
      this.out.write(
        `  ${mark} ${sent.type} notification to ${sent.to}${sent.ok ? "" : `: ${sent.error?.message ?? "not sent"}`}\n`,
      );
    }
    const took = `in ${(elapsedMs / 1000).toFixed(1)} s`;
    switch (result.status) {
      case "succeeded":
        this.out.write(`${c.green("✓ succeeded")} ${c.dim(took)}\n`);
        break;
      case "blocked":
        this.out.write(`${c.yellow("■ blocked")} ${describeFailure(result.error)}\n`);
        break;
      case "cancelled":
        this.out.write(`${c.yellow("■ cancelled")} ${c.dim(took)}\n`);
        break;
      case "failed":
        this.out.write(`${c.red("✗ failed")} ${describeFailure(result.error)}\n`);
        if (result.error?.code === "INTERRUPTED") {
          this.out.write(
            `  check whether the target received it; \`hirewire resume\` on the state file sends it again\n`,
          );
        }
        break;
      case "invalid":
        this.problems(result.problems ?? []);
        break;
    }
  }

  problems(problems: readonly Problem[], file?: string): void {
    const c = this.colors;
    for (const problem of problems) {
      const severity =
        "severity" in problem && problem.severity === "warning"
          ? c.yellow("warning")
          : c.red("error");
      const where = [file, problem.path]
        .filter((part) => part !== undefined && part !== "")
        .join(": ");
      this.out.write(`${severity}: ${where !== "" ? `${where}: ` : ""}${problem.message}\n`);
    }
  }
}

/** One sentence: which step, and why (the engine's message says what was sent and what came back). */
export function describeFailure(error: ErrorInfo | undefined): string {
  if (error === undefined) return "";
  const where =
    error.step !== undefined
      ? `at step ${error.step + 1}${error.path !== undefined ? ` (${error.path})` : ""}: `
      : error.path !== undefined
        ? `${error.path}: `
        : "";
  return `${where}${error.message}`;
}
