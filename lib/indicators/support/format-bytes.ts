const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** @internal Bytes for a human: `1.2 GB` (decimal units, as `df -H` and cloud consoles use). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${UNITS[unit]}`;
}
