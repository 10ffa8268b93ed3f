/**
 * The report of `npm run bench`: BENCHMARKS.md (what ran, the figures, ratios from the same run,
 * the targets) and an SVG chart of each client's throughput relative to the raw baseline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Scenario } from './peers/job';
import { median, table } from './table';

const MiB = 1 << 20;

export interface Sample {
  seconds: number;
  cpuS: number;
  maxRss: number;
  count: number;
  bytes: number;
  serverCpuS: number;
  /** upload-large, rxb2 hashing ahead: seconds to its large file started (the hashing, then one call). */
  hashAheadS?: number;
}

export interface ClientRow {
  scenario: Scenario;
  client: string;
  version: string;
  note?: string;
  samples: Sample[];
  /** A growth run's (--scale): how many times the scenario's items it took; absent for the scenario itself. */
  scale?: number;
}

export interface Environment {
  date: string;
  cpu: string;
  memory: string;
  os: string;
  node: string;
  runs: number;
  emulatorPeakRssMiB: number;
  skipped: string[];
  settings: ScenarioSettings;
}

/** What the scenarios were run with (bench/bench.ts's options). */
export interface ScenarioSettings {
  sizeMiB: number;
  partSize: number;
  downloadPartSize: number;
  largeConcurrency: number;
  small: number;
  smallSize: number;
  smallConcurrency: number;
  list: number;
  pageSize: number;
}

const n = (x: number): string => x.toLocaleString('en-US');

function title(s: Scenario, e: Environment): string {
  const c = e.settings;
  const size = c.sizeMiB % 1024 === 0 ? `${c.sizeMiB / 1024} GiB` : `${c.sizeMiB} MiB`;
  switch (s) {
    case 'upload-large':
      return `Upload ${size} from disk (parts of ${n(c.partSize)} B, ${c.largeConcurrency} in flight)`;
    case 'download-large':
      return `Download ${size} to disk (${c.largeConcurrency} parallel streams where the client has them)`;
    case 'upload-small':
      return `${n(c.small)} uploads of ${c.smallSize >= 1024 ? `${c.smallSize / 1024} KiB` : `${c.smallSize} B`} from disk, ${c.smallConcurrency} at a time`;
    case 'list':
      return `List ${n(c.list)} file names (pages of ${n(c.pageSize)})`;
  }
}

const isBytes = (s: Scenario): boolean => s === 'upload-large' || s === 'download-large';
const unit = (s: Scenario): string => (isBytes(s) ? 'MB/s' : 'files/s');
const rate = (s: Scenario, x: Sample): number => (isBytes(s) ? x.bytes / 1e6 : x.count) / x.seconds;

interface Summary {
  rate: number;
  each: number[];
  cpuS: number;
  maxRssMiB: number;
  serverCpuS: number;
}

function summarize(row: ClientRow): Summary {
  const each = row.samples.map((x) => rate(row.scenario, x));
  return {
    rate: median(each),
    each,
    cpuS: median(row.samples.map((x) => x.cpuS)),
    maxRssMiB: Math.max(...row.samples.map((x) => x.maxRss)) / MiB,
    serverCpuS: median(row.samples.map((x) => x.serverCpuS)),
  };
}

/** How each client does each scenario (bench/peers has the drivers). */
const HOW: Record<string, Partial<Record<Scenario, string>>> = {
  rxb2: {
    'upload-large': '`uploadLargeFile({ contents: { path }, fileInfo: { large_file_sha1 } })` (SHA-1 given), parts read and hashed as sent',
    'download-large': '`downloadToFile(path, { concurrency: 4 })`, 16 MiB ranges, SHA-1 verified, fsync before the rename (flushed behind the writes)',
    'upload-small': '`mergeMap(f => uploadFile({ contents: { path } }), 16)`',
    list: '`listFiles({ prefix, pageSize })`',
  },
  'rxb2-hash-ahead': {
    'upload-large': '`uploadLargeFile({ contents: { path } })`, its default: large_file_sha1 hashed ahead (worker threads), parts sent with their SHA-1s (context)',
  },
  baseline: {
    'upload-large': 'node:http, 4 workers, parts streamed with SHA-1 at the end (SHA-1 given)',
    'download-large': 'node:http, 4 × 16 MiB ranges written at offsets, SHA-1 verified, fsync before the rename',
    'upload-small': 'node:http, 16 workers, one upload URL each',
    list: 'node:http, `JSON.parse` per page',
  },
  'backblaze-b2': {
    'upload-large': 'start / getUploadPartUrl / uploadPart (4 workers, each part read into memory) / finish',
    'download-large': 'one streamed `downloadFileById` (no parallel download), no SHA-1 check, no fsync',
    'upload-small': '16 workers, one `getUploadUrl` each, `readFile` + `uploadFile`',
    list: '`listFileNames` with `nextFileName`',
  },
  b2sdk: {
    'upload-large': '`upload_local_file` (large_file_sha1 given), 4 upload threads',
    'download-large': '`download_file_by_id().save_to()`, its parallel downloader (4 workers, ranges of ≥ 100 MiB), SHA-1 computed, not checked, no fsync',
    'upload-small': 'ThreadPoolExecutor(16) × `upload_local_file`',
    list: '`bucket.ls(recursive=True, fetch_count=1000)`',
  },
  rclone: {
    'upload-large': '`copyto` with `--transfers 4`, whole-file SHA-1 first',
    'download-large': '`copyto --multi-thread-streams 4`, SHA-1 checked after, no fsync',
    'upload-small': '`copy --transfers 16 --checkers 16`',
    list: '`size --json` (whole process timed)',
  },
};

/**
 * What rxb2 must reach in each scenario (issue 13): against every peer (`peers`, or `peer[name]`),
 * against the raw node:http baseline doing the same work, and its peak RSS where it moves 1 GiB.
 */
const TARGETS: Record<Scenario, { peers: number; peer?: Record<string, number>; baseline: number; rssMiB?: number }> = {
  'upload-large': { peers: 1.25, baseline: 0.95, rssMiB: 150 },
  'download-large': { peers: 1.25, baseline: 1.1, rssMiB: 150 },
  'upload-small': { peers: 1, peer: { 'backblaze-b2': 1.5 }, baseline: 0.9 },
  list: { peers: 1.2, baseline: 0.95 },
};

interface Check {
  what: string;
  value: string;
  target: string;
  /** Undefined for figures shown for context, without a target. */
  met: boolean | undefined;
}

/** A client's growth in one scenario: its run at `scale` times the items beside its run of the scenario itself. */
interface Growth {
  scenario: Scenario;
  client: string;
  scale: number;
  items: { base: number; scaled: number };
  /** Median client CPU per item, µs. */
  cpuPerItemUs: { base: number; scaled: number };
  /** Largest peak RSS, MiB. */
  rssMiB: { base: number; scaled: number };
}

/** Client CPU per item and peak RSS may grow this much at 10× the items (issue: "within 10%", "flat"). */
const GROWTH_LIMIT = 1.1;

function growths(rows: ClientRow[]): Growth[] {
  const out: Growth[] = [];
  for (const scaled of rows.filter((r) => r.scale !== undefined && r.samples.length > 0)) {
    const base = rows.find((r) => r.scale === undefined && r.scenario === scaled.scenario && r.client === scaled.client && r.samples.length > 0);
    if (!base) continue;
    const perItem = (r: ClientRow) => median(r.samples.map((x) => (x.cpuS / x.count) * 1e6));
    out.push({
      scenario: scaled.scenario,
      client: scaled.client,
      scale: scaled.scale!,
      items: { base: base.samples[0].count, scaled: scaled.samples[0].count },
      cpuPerItemUs: { base: perItem(base), scaled: perItem(scaled) },
      rssMiB: { base: summarize(base).maxRssMiB, scaled: summarize(scaled).maxRssMiB },
    });
  }
  return out;
}

function checks(all: ClientRow[]): { list: Check[]; leads: string[] } {
  const rows = all.filter((r) => r.scale === undefined);
  const list: Check[] = [];
  const leads: string[] = [];
  const find = (s: Scenario, c: string) => rows.find((r) => r.scenario === s && r.client === c && r.samples.length > 0);
  const ratio = (s: Scenario, c: string): number | undefined => {
    const a = find(s, 'rxb2');
    const b = find(s, c);
    return a && b ? summarize(a).rate / summarize(b).rate : undefined;
  };
  for (const s of ['upload-large', 'download-large', 'upload-small', 'list'] as Scenario[]) {
    if (!find(s, 'rxb2')) continue;
    const t = TARGETS[s];
    const peers = rows.filter((r) => r.scenario === s && !r.client.startsWith('rxb2') && r.client !== 'baseline' && r.samples.length > 0);
    for (const p of peers) {
      const r = ratio(s, p.client)!;
      const target = t.peer?.[p.client] ?? t.peers;
      list.push({ what: `${s}: rxb2 / ${p.client}`, value: `${r.toFixed(2)}×`, target: `≥ ${target}×`, met: r >= target });
      leads.push(`${s}: rxb2 ${r >= 1 ? 'leads' : 'trails'} ${p.client} (${r.toFixed(2)}×)`);
    }
    const base = ratio(s, 'baseline');
    if (base !== undefined) list.push({ what: `${s}: rxb2 / baseline`, value: `${base.toFixed(2)}×`, target: `≥ ${t.baseline}×`, met: base >= t.baseline });
    if (t.rssMiB !== undefined) {
      const rss = summarize(find(s, 'rxb2')!).maxRssMiB;
      list.push({ what: `${s}: rxb2 client peak RSS`, value: `${rss.toFixed(0)} MiB`, target: `≤ ${t.rssMiB} MiB`, met: rss <= t.rssMiB });
    }
  }
  const ahead = find('upload-large', 'rxb2-hash-ahead');
  const given = ratio('upload-large', 'rxb2-hash-ahead');
  if (ahead && given !== undefined) {
    list.push({ what: 'upload-large: rxb2 given large_file_sha1 / rxb2 hashing it ahead', value: `${given.toFixed(2)}×`, target: '(context)', met: undefined });
  }
  for (const g of growths(all).filter((x) => x.client === 'rxb2')) {
    const cpu = g.cpuPerItemUs.scaled / g.cpuPerItemUs.base;
    const rss = g.rssMiB.scaled / g.rssMiB.base;
    const at = `${g.scenario} at ${g.scale}×`;
    list.push({ what: `${at}: rxb2 client CPU per item / at 1×`, value: `${cpu.toFixed(2)}×`, target: `≤ ${GROWTH_LIMIT}×`, met: cpu <= GROWTH_LIMIT });
    list.push({ what: `${at}: rxb2 client peak RSS / at 1×`, value: `${rss.toFixed(2)}×`, target: `≤ ${GROWTH_LIMIT}×`, met: rss <= GROWTH_LIMIT });
  }
  return { list, leads };
}

function markdownOf(all: ClientRow[], e: Environment, chartLink: string | undefined): string {
  const rows = all.filter((r) => r.scale === undefined);
  const c = e.settings;
  const versions = [...new Map(rows.map((r) => [r.client, r.version])).entries()];
  const out: string[] = [];
  out.push('# Benchmarks: rxb2 and its peers');
  out.push('');
  out.push(
    `Written by \`npm run bench\` (bench/bench.ts) on ${e.date}. One run, one machine, one server: every figure and ratio below comes from ` +
      `the same run. Do not compare absolute speeds across machines; compare the ratios.`,
  );
  out.push('');
  out.push(`- Machine: ${e.cpu}, ${e.memory} RAM, ${e.os}, Node ${e.node}.`);
  out.push(`- Clients: ${versions.map(([id, v]) => `${id} = ${v}`).join('; ')}.`);
  if (e.skipped.length) out.push(`- Skipped (not installed): ${e.skipped.join('; ')}.`);
  out.push(
    `- Server: the rxb2 emulator in its own process, in memory, on 127.0.0.1 (recommendedPartSize ${n(c.partSize)}, no MD5 so every client costs the server the same); ` +
      `its peak RSS ${e.emulatorPeakRssMiB.toFixed(0)} MiB.`,
  );
  out.push(
    `- Method: each run starts a fresh client process; ${e.runs} interleaved round(s) (every client once per round, the first one rotating); medians, ` +
      "the largest peak RSS. Throughput and client CPU are over the client's timed window, from before the client is created (modules loaded) " +
      'to the last operation done, authorization included (rclone: its whole process, from time(1)). Client CPU is user + system of the client ' +
      "process (all threads); server CPU is the emulator's over the run. Every run is checked afterwards (sizes, counts, large_file_sha1, " +
      "the downloaded bytes' SHA-1). MB = 10^6 bytes.",
  );
  out.push('');
  if (chartLink) {
    out.push(`![Throughput relative to the raw node:http baseline](${chartLink})`);
    out.push('');
  }
  const { list, leads } = checks(all);
  for (const s of ['upload-large', 'download-large', 'upload-small', 'list'] as Scenario[]) {
    const rs = rows.filter((r) => r.scenario === s && r.samples.length > 0);
    if (rs.length === 0) continue;
    const rx = rs.find((r) => r.client === 'rxb2');
    const rxRate = rx ? summarize(rx).rate : undefined;
    out.push(`## ${title(s, e)}`);
    out.push('');
    const t: string[][] = [['client', 'how', unit(s), 'each run', 'client CPU s', 'client peak RSS MiB', 'server CPU s', 'rxb2 ÷ client']];
    for (const r of rs) {
      const m = summarize(r);
      t.push([
        r.client,
        HOW[r.client]?.[s] ?? '',
        m.rate.toFixed(0),
        m.each.map((x) => x.toFixed(0)).join(' '),
        m.cpuS.toFixed(2),
        m.maxRssMiB.toFixed(0),
        m.serverCpuS.toFixed(2),
        r.client === 'rxb2' || rxRate === undefined ? '' : `${(rxRate / m.rate).toFixed(2)}×`,
      ]);
    }
    out.push(table(t, 2));
    out.push('');
    const ahead = rs.find((r) => r.client === 'rxb2-hash-ahead');
    const hashS = ahead ? ahead.samples.map((x) => x.hashAheadS).filter((x): x is number => x !== undefined) : [];
    if (ahead && hashS.length > 0) {
      const m = summarize(ahead);
      const total = median(ahead.samples.map((x) => x.seconds));
      out.push(
        `rxb2 records the whole file's SHA-1 (large_file_sha1) for every large upload it can read ahead: by default it hashes the file first, ` +
          `in worker threads (two SHA-1 passes side by side: the whole file, and each part, whose SHA-1 then goes with the part). ` +
          `rxb2-hash-ahead: ${median(hashS).toFixed(2)} s (median) of its ${total.toFixed(2)} s before its large file started, ` +
          `${m.cpuS.toFixed(2)} client CPU-s in all. The other rows are given the SHA-1 (rxb2 through fileInfo, the baseline, b2sdk's large_file_sha1), ` +
          'so they do not pay for it; rclone computes it too, before its upload.',
      );
      out.push('');
    }
  }
  const grown = growths(all);
  if (grown.length > 0) {
    out.push(`## Growth: ${grown[0].scale}× the names listed and the files uploaded`);
    out.push('');
    out.push(
      "The list and small-upload scenarios again at 10× the items (the listing's prefix grown to that many names, untimed), the same rounds, " +
        "rxb2 and the baseline: client CPU per item (median) and peak RSS (largest), beside each client's own 1× runs above.",
    );
    out.push('');
    const t: string[][] = [['scenario', 'client', 'items', 'client CPU µs per item', '× at 1×', 'client peak RSS MiB', '× at 1×']];
    for (const g of grown) {
      t.push([
        g.scenario,
        g.client,
        `${n(g.items.base)} → ${n(g.items.scaled)}`,
        `${g.cpuPerItemUs.base.toFixed(1)} → ${g.cpuPerItemUs.scaled.toFixed(1)}`,
        `${(g.cpuPerItemUs.scaled / g.cpuPerItemUs.base).toFixed(2)}×`,
        `${g.rssMiB.base.toFixed(0)} → ${g.rssMiB.scaled.toFixed(0)}`,
        `${(g.rssMiB.scaled / g.rssMiB.base).toFixed(2)}×`,
      ]);
    }
    out.push(table(t, 2));
    out.push('');
  }
  out.push('## Targets');
  out.push('');
  out.push(table([['check', 'value', 'target', 'met'], ...list.map((x) => [x.what, x.value, x.target, x.met === undefined ? '' : x.met ? 'yes' : 'NO'])], 1));
  out.push('');
  out.push('## Where rxb2 leads and trails (this run)');
  out.push('');
  for (const l of leads) out.push(`- ${l}`);
  out.push('');
  out.push('How each client is driven: bench/peers (one driver per client); the reasons behind the figures: bench/README.md.');
  out.push('');
  return out.join('\n');
}

const COLORS: Record<string, string> = { rxb2: '#d9480f', 'rxb2-hash-ahead': '#f08c00', baseline: '#868e96', 'backblaze-b2': '#1c7ed6', b2sdk: '#2f9e44', rclone: '#7048e8' };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars per scenario: each client's throughput as a share of the baseline's (the dashed line). */
function chartOf(rows: ClientRow[], e: Environment): string {
  const groups = (['upload-large', 'download-large', 'upload-small', 'list'] as Scenario[])
    .map((s) => ({ s, rs: rows.filter((r) => r.scenario === s && r.samples.length > 0) }))
    .filter((g) => g.rs.length > 0);
  const rel = (r: ClientRow): number => {
    const base = rows.find((b) => b.scenario === r.scenario && b.client === 'baseline' && b.samples.length > 0);
    return base ? summarize(r).rate / summarize(base).rate : 1;
  };
  const max = Math.max(1.2, ...groups.flatMap((g) => g.rs.map(rel)));
  const left = 120;
  const width = 800;
  const barW = width - left - 190;
  const bar = 16;
  const gap = 4;
  let y = 40;
  const parts: string[] = [];
  for (const g of groups) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${esc(title(g.s, e))}</text>`);
    y += 22;
    const top = y;
    for (const r of g.rs) {
      const w = Math.max(1, (rel(r) / max) * barW);
      const m = summarize(r);
      parts.push(`<text x="${left - 6}" y="${y + 12}" text-anchor="end">${esc(r.client)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${COLORS[r.client] ?? '#495057'}"/>`);
      parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 12}">${m.rate.toFixed(0)} ${unit(g.s)} (${(rel(r) * 100).toFixed(0)}%)</text>`);
      y += bar + gap;
    }
    const x1 = left + barW / max;
    parts.push(`<line x1="${x1.toFixed(1)}" y1="${top - 2}" x2="${x1.toFixed(1)}" y2="${y - gap + 2}" stroke="#212529" stroke-dasharray="3 3"/>`);
    y += 14;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">Throughput relative to the raw node:http baseline (dashed line = 100%), ${esc(e.date)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Renders the report; with `files`, writes the Markdown and the chart (linked relative to the Markdown). */
export function writeReport(rows: ClientRow[], e: Environment, files?: { markdown: string; chart: string }): { markdown: string } {
  const link = files ? path.relative(path.dirname(files.markdown), files.chart).split(path.sep).join('/') : undefined;
  const markdown = markdownOf(rows, e, link);
  if (files) {
    fs.writeFileSync(
      files.chart,
      chartOf(
        rows.filter((r) => r.scale === undefined),
        e,
      ),
    );
    fs.writeFileSync(files.markdown, markdown);
  }
  return { markdown };
}
