import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeReport, type ClientRow, type Environment, type Sample } from '../../bench/bench-report';

const env: Environment = {
  date: '2026-11-25 12:00 UTC',
  cpu: 'test CPU × 2',
  memory: '24 GiB',
  os: 'Linux test',
  node: 'v20.0.0',
  runs: 3,
  emulatorPeakRssMiB: 100,
  skipped: [],
  settings: {
    sizeMiB: 1024,
    partSize: 100_000_000,
    downloadPartSize: 16 << 20,
    largeConcurrency: 4,
    small: 2000,
    smallSize: 4096,
    smallConcurrency: 16,
    list: 100_000,
    pageSize: 1000,
  },
};

const sample = (seconds: number, over: Partial<Sample> = {}): Sample => ({ seconds, cpuS: 1, maxRss: 100 << 20, count: 2000, bytes: 2000 * 4096, serverCpuS: 0.5, ...over });
const row = (scenario: ClientRow['scenario'], client: string, seconds: number[], over: Partial<Sample> = {}): ClientRow => ({
  scenario,
  client,
  version: `${client} 1.0`,
  samples: seconds.map((s) => sample(s, over)),
});

describe('the benchmark report (bench/bench-report.ts)', () => {
  it('computes medians and rxb2 ratios from the same run and judges each target', () => {
    const rows = [
      row('upload-small', 'rxb2', [1, 1.1, 0.9]),
      row('upload-small', 'baseline', [0.5, 0.5, 0.6]),
      row('upload-small', 'backblaze-b2', [1.2, 1.2, 1.3]),
      row('upload-small', 'b2sdk', [3, 2, 4]),
      row('upload-large', 'rxb2', [2], { bytes: 1e9, count: 1, maxRss: 200 << 20 }),
      row('upload-large', 'baseline', [1.5], { bytes: 1e9, count: 1 }),
    ];
    const { markdown } = writeReport(rows, env);
    // 2,000 files in a median 1 s = 2000 files/s; backblaze-b2 median 1.2 s: ratio 1.20×, under the 1.5× target.
    expect(markdown).toMatch(/\| rxb2 +\| .* \| +2000 \| 2000 1818 2222 \|/);
    expect(markdown).toMatch(/upload-small: rxb2 \/ backblaze-b2 +\| +1\.20× \| +≥ 1\.5× \| +NO \|/);
    expect(markdown).toMatch(/upload-small: rxb2 \/ b2sdk +\| +3\.00× \| +≥ 1× \| yes \|/);
    // Small uploads: ≥ 0.9× the baseline.
    expect(markdown).toMatch(/upload-small: rxb2 \/ baseline +\| +0\.50× \| +≥ 0\.9× \| +NO \|/);
    // 1e9 bytes: 500 vs 667 MB/s = 0.75× the baseline (target 0.95×), RSS 200 MiB over 150.
    expect(markdown).toMatch(/upload-large: rxb2 \/ baseline +\| +0\.75× \| +≥ 0\.95× \| +NO \|/);
    expect(markdown).toMatch(/upload-large: rxb2 client peak RSS +\| +200 MiB \| +≤ 150 MiB \| +NO \|/);
    expect(markdown).toContain('- upload-small: rxb2 leads b2sdk (3.00×)');
    expect(markdown).toContain('- upload-small: rxb2 leads backblaze-b2 (1.20×)');
  });

  it('judges each scenario by its own targets: 1.25× every peer for large files, 1.2× for listing, 1.1× the baseline for downloads', () => {
    const large = { bytes: 1e9, count: 1, maxRss: 140 << 20 };
    const rows = [
      row('download-large', 'rxb2', [1], large),
      row('download-large', 'baseline', [1.2], large),
      row('download-large', 'rclone', [1.2], large),
      row('list', 'rxb2', [1], { count: 100_000 }),
      row('list', 'baseline', [0.97], { count: 100_000 }),
      row('list', 'backblaze-b2', [1.25], { count: 100_000 }),
    ];
    const { markdown } = writeReport(rows, env);
    // 1.2× the baseline (≥ 1.1×) but 1.2× rclone, short of 1.25×; RSS 140 MiB within 150.
    expect(markdown).toMatch(/download-large: rxb2 \/ baseline +\| +1\.20× \| +≥ 1\.1× \| yes \|/);
    expect(markdown).toMatch(/download-large: rxb2 \/ rclone +\| +1\.20× \| +≥ 1\.25× \| +NO \|/);
    expect(markdown).toMatch(/download-large: rxb2 client peak RSS +\| +140 MiB \| +≤ 150 MiB \| yes \|/);
    // Listing: 1.25× backblaze-b2 (≥ 1.2×), 0.97× the baseline (≥ 0.95×).
    expect(markdown).toMatch(/list: rxb2 \/ backblaze-b2 +\| +1\.25× \| +≥ 1\.2× \| yes \|/);
    expect(markdown).toMatch(/list: rxb2 \/ baseline +\| +0\.97× \| +≥ 0\.95× \| yes \|/);
  });

  it('puts a --scale run beside the 1× run of the same client: CPU per item and peak RSS, judged for rxb2', () => {
    const rows: ClientRow[] = [
      row('list', 'rxb2', [1, 1, 1], { count: 100_000, cpuS: 0.3, maxRss: 90 << 20 }),
      { ...row('list', 'rxb2', [10, 10, 10], { count: 1_000_000, cpuS: 2.7, maxRss: 130 << 20 }), scale: 10 },
      row('list', 'baseline', [1], { count: 100_000, cpuS: 0.25, maxRss: 90 << 20 }),
      { ...row('list', 'baseline', [10], { count: 1_000_000, cpuS: 2.75, maxRss: 94 << 20 }), scale: 10 },
    ];
    const { markdown } = writeReport(rows, env);
    // 3 µs an item at 1×, 2.7 at 10×: 0.90×, within 1.1×; RSS 130/90 = 1.44×, not flat.
    expect(markdown).toMatch(/\| list +\| rxb2 +\| 100,000 → 1,000,000 \| +3\.0 → 2\.7 \| +0\.90× \| +90 → 130 \| +1\.44× \|/);
    expect(markdown).toMatch(/\| list +\| baseline +\| 100,000 → 1,000,000 \| +2\.5 → 2\.8 \| +1\.10× \| +90 → 94 \| +1\.04× \|/);
    expect(markdown).toMatch(/list at 10×: rxb2 client CPU per item \/ at 1× +\| +0\.90× \| +≤ 1\.1× \| yes \|/);
    expect(markdown).toMatch(/list at 10×: rxb2 client peak RSS \/ at 1× +\| +1\.44× \| +≤ 1\.1× \| +NO \|/);
    // The scaled runs are not rows of the scenario's own table: one rxb2 row there.
    expect(markdown.match(/^\| rxb2 +\| `listFiles/gm)?.length).toBe(1);
  });

  it('writes the Markdown and a chart it links to, one bar per client and scenario', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxb2-report-'));
    try {
      const rows = [row('list', 'rxb2', [1]), row('list', 'baseline', [0.5]), row('list', 'rclone', [2])];
      const files = { markdown: path.join(dir, 'BENCHMARKS.md'), chart: path.join(dir, 'bench', 'chart.svg') };
      fs.mkdirSync(path.dirname(files.chart));
      writeReport(rows, env, files);
      expect(fs.readFileSync(files.markdown, 'utf8')).toContain('](bench/chart.svg)');
      const svg = fs.readFileSync(files.chart, 'utf8');
      expect(svg.match(/<rect x=/g)?.length).toBe(3);
      // rxb2 at half the baseline's rate, rclone at a quarter.
      expect(svg).toContain('(50%)');
      expect(svg).toContain('(25%)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
