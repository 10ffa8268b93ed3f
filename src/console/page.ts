/**
 * The console page's script (browser only): bundled at build time by .ci/console-bundle.mjs with
 * rxb2's own browser build, served by the emulator at /console/app.js, never imported by the server.
 * It signs in to the emulator it came from, lists buckets, file versions (sizes, SHA-1s) and
 * unfinished large files, uploads dropped files with a progress bar, links downloads, and polls
 * /console/state for the fault plan and the request log. Every name is shown as text
 * (textContent), never parsed as markup.
 */
import { lastValueFrom, toArray, type Subscription } from 'rxjs';
import { B2, type B2File, type Bucket } from '../index';
import { formatBytes } from '../cli/format';

interface ConsoleState {
  keyId: string | null;
  applicationKey: string | null;
  faults: Array<{ call: string; fault: Record<string, unknown> & { kind: string }; times: number | null; skip?: number; probability?: number; fired: number }>;
  injected: Record<string, number>;
  log: Array<{ n: number; at: string; method: string; call: string; status: number; ms: number }>;
}

/** Calls after which the file list is stale. */
const MUTATING =
  /^b2_(upload_file|upload_part|finish_large_file|cancel_large_file|start_large_file|delete_file_version|hide_file|copy_file|create_bucket|delete_bucket|update_bucket)$/;

const byId = (id: string): HTMLElement => document.getElementById(id)!;

/** An element with attributes and children; strings become text nodes (never markup). */
function el(tag: string, attrs: Record<string, string> = {}, ...children: Array<Node | string | null>): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child !== null) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

let client: B2 | undefined;
let accountToken = '';
let lastLog = 0;
let refreshing: Promise<void> | undefined;
let stale = false;
const uploads = new Set<Subscription>();
const progressAreas = new Map<string, HTMLElement>();

function signIn(keyId: string, applicationKey: string): void {
  client = new B2({ applicationKeyId: keyId, applicationKey, realm: location.origin });
  client.authorize().subscribe({
    next: (auth) => {
      accountToken = auth.authorizationToken;
      byId('signin').hidden = true;
      byId('where').textContent = `${location.origin} · key ${keyId}`;
      void refresh();
    },
    error: (err: Error) => {
      byId('signin').hidden = false;
      byId('buckets').replaceChildren(el('p', { class: 'error' }, `Sign-in failed: ${err.message}`));
    },
  });
}

/** Re-reads buckets and files; one refresh at a time, another one after it if asked meanwhile. */
async function refresh(): Promise<void> {
  if (!client) return;
  if (refreshing) {
    stale = true;
    return;
  }
  refreshing = (async () => {
    try {
      const buckets = await lastValueFrom(client!.buckets.all().pipe(toArray()));
      const sections: HTMLElement[] = [];
      for (const bucket of buckets.sort((a, b) => (a.bucketName < b.bucketName ? -1 : 1))) {
        const versions = await lastValueFrom(bucket.listFileVersions().pipe(toArray()));
        sections.push(await bucketSection(bucket, versions));
      }
      byId('buckets').classList.remove('muted');
      byId('buckets').replaceChildren(...(sections.length > 0 ? sections : [el('p', { class: 'muted' }, 'No buckets yet.')]));
    } catch (err) {
      byId('buckets').replaceChildren(el('p', { class: 'error' }, `Could not list: ${(err as Error).message}`));
    }
  })();
  await refreshing;
  refreshing = undefined;
  if (stale) {
    stale = false;
    await refresh();
  }
}

async function bucketSection(bucket: Bucket, versions: B2File[]): Promise<HTMLElement> {
  const finished = versions.filter((f) => f.action !== 'start');
  const unfinished = versions.filter((f) => f.action === 'start');
  const rows: HTMLElement[] = [];
  let previous = '';
  for (const file of finished) {
    const older = file.fileName === previous;
    previous = file.fileName;
    const sha1 = file.contentSha1 && file.contentSha1 !== 'none' ? file.contentSha1 : (file.fileInfo.large_file_sha1 ?? 'none (large file)');
    let link: Node | string = '';
    if (file.action === 'upload') {
      const base = await lastValueFrom(bucket.getDownloadUrl(file.fileName)).catch(() => undefined);
      const href = base && `${base}?Authorization=${encodeURIComponent(accountToken)}`;
      link = href ? el('a', { href, download: file.fileName.split('/').pop() ?? 'file', class: 'download' }, 'download') : '';
    }
    rows.push(
      el(
        'tr',
        { class: older ? 'file older' : 'file', 'data-file-id': file.fileId },
        el('td', { class: 'name' }, older ? '' : file.fileName),
        el('td', {}, file.action),
        el('td', { class: 'num' }, file.action === 'hide' ? '' : formatBytes(file.contentLength)),
        el('td', { class: 'sha1' }, file.action === 'hide' ? '' : sha1),
        el('td', {}, new Date(file.uploadTimestamp).toISOString().replace('T', ' ').slice(0, 19)),
        el('td', {}, link),
      ),
    );
  }
  // The same element across refreshes, so uploads in progress keep their bars.
  let progress = progressAreas.get(bucket.bucketId);
  if (!progress) progressAreas.set(bucket.bucketId, (progress = el('div', { class: 'uploads' })));
  const into = progress;
  const input = el('input', { type: 'file', multiple: '' }) as HTMLInputElement;
  const drop = el('div', { class: 'drop' }, 'Drop files here to upload them to this bucket, or ', input);
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    for (const file of Array.from((e as DragEvent).dataTransfer?.files ?? [])) upload(bucket, file, into);
  });
  input.addEventListener('change', () => {
    for (const file of Array.from(input.files ?? [])) upload(bucket, file, into);
    input.value = '';
  });
  const section = el(
    'div',
    { class: 'bucket', 'data-bucket': bucket.bucketName },
    el('h3', {}, bucket.bucketName, el('span', { class: 'muted' }, `  ${bucket.bucketType} · ${bucket.bucketId}`)),
    drop,
    progress,
    finished.length > 0
      ? el('table', { class: 'files' }, el('tr', {}, ...['Name', 'Action', 'Size', 'SHA-1', 'Uploaded (UTC)', ''].map((h) => el('th', {}, h))), ...rows)
      : el('p', { class: 'muted' }, 'No files.'),
  );
  if (unfinished.length > 0) {
    section.append(
      el('h3', {}, 'Unfinished large files'),
      el(
        'table',
        { class: 'unfinished' },
        el('tr', {}, ...['Name', 'File id', 'Started (UTC)'].map((h) => el('th', {}, h))),
        ...unfinished.map((f) =>
          el(
            'tr',
            { class: 'unfinished-file' },
            el('td', { class: 'name' }, f.fileName),
            el('td', { class: 'mono' }, f.fileId),
            el('td', {}, new Date(f.uploadTimestamp).toISOString().replace('T', ' ').slice(0, 19)),
          ),
        ),
      ),
    );
  }
  return section;
}

function upload(bucket: Bucket, file: File, into: HTMLElement): void {
  const bar = el('progress', { max: String(Math.max(file.size, 1)), value: '0' }) as HTMLProgressElement;
  const label = el('span', {}, `${file.name}: 0 %`);
  const row = el('div', { class: 'upload' }, label, bar);
  into.append(row);
  const subscription = bucket.uploadFile({ fileName: file.name, contents: file }).subscribe({
    next: (event) => {
      if (event.type === 'uploadProgress') {
        bar.value = event.loaded;
        label.textContent = `${file.name}: ${Math.floor((100 * event.loaded) / Math.max(file.size, 1))} %`;
      }
    },
    error: (err: Error) => {
      uploads.delete(subscription);
      label.textContent = `${file.name}: failed: ${err.message}`;
      label.className = 'error';
    },
    complete: () => {
      uploads.delete(subscription);
      bar.value = Math.max(file.size, 1);
      label.textContent = `${file.name}: done`;
      row.classList.add('done');
      void refresh();
    },
  });
  uploads.add(subscription);
}

function renderFaults(state: ConsoleState): void {
  const rules = state.faults.map((r) => {
    const { kind, ...params } = r.fault;
    const detail = Object.entries(params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return el(
      'tr',
      { class: 'rule' },
      el('td', { class: 'mono' }, r.call),
      el('td', {}, `${kind}${detail ? ` ${detail}` : ''}`),
      el('td', { class: 'num' }, `${r.fired} / ${r.times === null ? '∞' : String(r.times)}`),
    );
  });
  const injected = Object.entries(state.injected)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  byId('faults').classList.toggle('muted', rules.length === 0);
  byId('faults').replaceChildren(
    rules.length > 0 ? el('table', {}, el('tr', {}, el('th', {}, 'Call'), el('th', {}, 'Fault'), el('th', {}, 'Fired / times')), ...rules) : el('p', {}, 'No faults in effect.'),
    el('p', { class: 'muted' }, `Injected so far: ${injected || 'none'}`),
  );
}

function renderLog(state: ConsoleState): void {
  const table =
    (byId('log').querySelector('table') as HTMLTableElement | null) ??
    (byId('log').appendChild(el('table', {}, el('tr', {}, ...['Time', 'Call', 'Status', 'ms'].map((h) => el('th', {}, h))))) as HTMLTableElement);
  let mutated = false;
  for (const entry of state.log) {
    lastLog = Math.max(lastLog, entry.n);
    if (MUTATING.test(entry.call) && entry.status === 200) mutated = true;
    const row = el(
      'tr',
      { class: entry.status >= 400 || entry.status === 0 ? 'request error' : 'request' },
      el('td', {}, entry.at.slice(11, 23)),
      el('td', { class: 'mono' }, `${entry.method} ${entry.call}`),
      el('td', { class: 'num' }, entry.status === 0 ? '—' : String(entry.status)),
      el('td', { class: 'num' }, String(entry.ms)),
    );
    table.rows[0].after(row);
  }
  while (table.rows.length > 201) table.deleteRow(table.rows.length - 1);
  if (mutated && uploads.size === 0) void refresh();
}

async function poll(): Promise<void> {
  try {
    const response = await fetch(`/console/state?after=${lastLog}`, { cache: 'no-store' });
    const state = (await response.json()) as ConsoleState;
    renderFaults(state);
    renderLog(state);
  } catch {
    // The emulator stopped or restarts: try again on the next tick.
  }
  setTimeout(() => void poll(), 1000);
}

async function start(): Promise<void> {
  byId('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn((byId('key-id') as HTMLInputElement).value.trim(), (byId('key') as HTMLInputElement).value.trim());
  });
  const state = (await (await fetch('/console/state', { cache: 'no-store' })).json()) as ConsoleState;
  if (state.keyId && state.applicationKey) signIn(state.keyId, state.applicationKey);
  else {
    byId('signin').hidden = false;
    byId('buckets').textContent = 'Sign in to see the buckets.';
  }
  void poll();
}

void start();
