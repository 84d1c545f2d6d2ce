// Human sizes and durations for error messages ("50 MiB", "30 s").

const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB"] as const;

/** Formats a byte count with binary units, keeping at most one decimal ("1.5 MiB", "300 bytes"). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${rounded} ${UNITS[unit]}`;
}

/** "30 s", "0.25 s": a duration as the manifest's `timeout` would write it. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}
