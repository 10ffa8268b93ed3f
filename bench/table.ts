/** Plain-text/Markdown tables and medians for the benchmark reports. */

/** A Markdown table; columns from `rightFrom` on are right-aligned. */
export function table(rows: string[][], rightFrom = 1): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((v, c) => (c >= rightFrom ? (v ?? '').padStart(widths[c]) : (v ?? '').padEnd(widths[c]))).join(' | ') + ' |';
  const sep = '| ' + widths.map((w, c) => (c >= rightFrom ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ') + ' |';
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
