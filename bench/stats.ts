// Small statistics and the stdout table for bench results, and the machine's CPU use.
import { readFile } from "node:fs/promises";

/** The median of `values` (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0–100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const round = (value: number, digits = 1): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;

/** Renders rows as an aligned text table (first row is the header). */
export function table(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const text = rows.map((row) => row.map(String));
  const widths = text[0]!.map((_, col) => Math.max(...text.map((row) => row[col]?.length ?? 0)));
  const line = (row: string[]): string =>
    row
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
      .join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(text[0]!), rule, ...text.slice(1).map(line)].join("\n");
}

export interface MachineCpu {
  /** CPU time of all cores so far, in clock ticks. */
  total: number;
  /** Of which idle (idle and iowait). */
  idle: number;
}

/** The machine's CPU time so far, from /proc/stat (Linux; zeros elsewhere). */
export async function machineCpu(): Promise<MachineCpu> {
  let text: string;
  try {
    text = await readFile("/proc/stat", "utf8");
  } catch {
    return { total: 0, idle: 0 };
  }
  const ticks = text.split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …
  return { total: ticks.reduce((sum, n) => sum + n, 0), idle: ticks[3]! + (ticks[4] ?? 0) };
}

/** Share of the machine's CPU time (all cores) that was busy between two readings. */
export function machineBusy(before: MachineCpu, after: MachineCpu): number {
  const total = after.total - before.total;
  return total <= 0 ? 0 : 1 - (after.idle - before.idle) / total;
}
