// Human sizes for limit messages ("50 MiB", "5 GiB"), shared by the file store and the sender.

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
