/** Text helpers of the rxb2 command: byte sizes in and out, dates, rates, listing rows. */

const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BINARY_UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * A byte count from the command line: `5000`, `5MB` / `5M` (10^6), `5MiB` (2^20), `100k`.
 * Returns undefined when the text is not a whole, positive number of bytes.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  if (m[3] && !unit) return undefined;
  const bytes = Number(m[1]) * (m[3] ? BINARY_UNITS[unit] : UNITS[unit]);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** `1.5 MiB`, `512 B`: a size for people. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Bytes per second over `seconds`, as `3.2 MiB/s`. */
export function formatRate(bytes: number, seconds: number): string {
  return seconds > 0 ? `${formatBytes(bytes / seconds)}/s` : '-';
}

/** A B2 timestamp (ms since 1970) as `2024-05-01 12:34:56` (UTC). */
export function formatDate(timestampMs: number): string {
  return new Date(timestampMs).toISOString().replace('T', ' ').slice(0, 19);
}

/** What `rxb2 ls` prints of a file (or folder) row. */
export interface ListingRow {
  fileName: string;
  fileId: string;
  contentLength: number;
  uploadTimestamp: number;
  /** upload, hide, start (unfinished large file) or folder. */
  action: string;
}

/**
 * One line of `rxb2 ls`: size, date, name (the name last, so names with spaces stay whole).
 * With versions: size, date, action, file id, name. A folder shows `-` for size and date.
 */
export function formatListingRow(row: ListingRow, versions: boolean): string {
  const folder = row.action === 'folder';
  const size = (folder ? '-' : String(row.contentLength)).padStart(12);
  const date = (folder ? '-' : formatDate(row.uploadTimestamp)).padEnd(19);
  if (!versions || folder) return `${size}  ${date}  ${row.fileName}`;
  return `${size}  ${date}  ${row.action.padEnd(6)}  ${row.fileId}  ${row.fileName}`;
}
