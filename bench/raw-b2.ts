/**
 * The raw node:http B2 client the benchmarks measure rxb2 against (and use for set-up): one
 * keep-alive agent, JSON calls parsed with JSON.parse, nothing else.
 */
import * as crypto from 'node:crypto';
import http from 'node:http';

export interface EmulatorEndpoint {
  url: string;
  keyId: string;
  applicationKey: string;
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function rawRequest(method: string, url: string, headers: http.OutgoingHttpHeaders, body?: Buffer | string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
        if ((res.statusCode ?? 0) >= 400) return reject(new Error(`${method} ${url} -> HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface UploadUrl {
  uploadUrl: string;
  authorizationToken: string;
}

export interface FileWire {
  fileId: string;
  fileName: string;
  contentLength: number;
  fileInfo: Record<string, string>;
}

/** Headers of one b2_upload_file: the SHA-1 of the body computed here. */
export function uploadHeaders(url: UploadUrl, name: string, contents: Buffer): Record<string, string> {
  return {
    Authorization: url.authorizationToken,
    'X-Bz-File-Name': encodeURIComponent(name),
    'Content-Type': 'b2/x-auto',
    'Content-Length': String(contents.length),
    'X-Bz-Content-Sha1': crypto.createHash('sha1').update(contents).digest('hex'),
  };
}

/** Authorize once, then JSON calls with the account token. */
export class RawB2Session {
  apiUrl = '';
  downloadUrl = '';
  token = '';
  accountId = '';

  constructor(protected readonly emu: EmulatorEndpoint) {}

  async authorize(): Promise<void> {
    const basic = 'Basic ' + Buffer.from(`${this.emu.keyId}:${this.emu.applicationKey}`).toString('base64');
    const b = (await rawRequest('GET', `${this.emu.url}/b2api/v3/b2_authorize_account`, { Authorization: basic })) as {
      accountId: string;
      authorizationToken: string;
      apiInfo: { storageApi: { apiUrl: string; downloadUrl: string } };
    };
    this.accountId = b.accountId;
    this.token = b.authorizationToken;
    this.apiUrl = b.apiInfo.storageApi.apiUrl;
    this.downloadUrl = b.apiInfo.storageApi.downloadUrl;
  }

  call<T>(name: string, params: object): Promise<T> {
    const json = JSON.stringify(params);
    const headers = { Authorization: this.token, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) };
    return rawRequest('POST', `${this.apiUrl}/b2api/v3/${name}`, headers, json) as Promise<T>;
  }

  async createBucket(name: string): Promise<string> {
    const b = await this.call<{ bucketId: string }>('b2_create_bucket', { accountId: this.accountId, bucketName: name, bucketType: 'allPrivate' });
    return b.bucketId;
  }

  async bucketId(bucketName: string): Promise<string> {
    const r = await this.call<{ buckets: { bucketId: string }[] }>('b2_list_buckets', { accountId: this.accountId, bucketName });
    if (r.buckets.length === 0) throw new Error(`no bucket ${bucketName}`);
    return r.buckets[0].bucketId;
  }

  /** Lists every file name under `prefix` in pages of `pageSize`; returns how many. */
  async listAll(bucketId: string, pageSize: number, prefix = ''): Promise<number> {
    let n = 0;
    let start: string | null | undefined;
    do {
      const page = await this.call<{ files: { fileName: string }[]; nextFileName: string | null }>('b2_list_file_names', {
        bucketId,
        maxFileCount: pageSize,
        ...(prefix ? { prefix } : {}),
        ...(start ? { startFileName: start } : {}),
      });
      for (const f of page.files) if (f.fileName) n++;
      start = page.nextFileName;
    } while (start);
    return n;
  }

  /** Every version of `name` (exact), for checks and clean-up. */
  async versions(bucketId: string, name: string): Promise<FileWire[]> {
    const r = await this.call<{ files: (FileWire & { action: string })[] }>('b2_list_file_versions', {
      bucketId,
      prefix: name,
      startFileName: name,
      maxFileCount: 100,
    });
    return r.files.filter((f) => f.fileName === name && f.action === 'upload');
  }

  async deleteAll(bucketId: string, name: string): Promise<void> {
    for (const f of await this.versions(bucketId, name)) await this.call('b2_delete_file_version', { fileName: name, fileId: f.fileId });
  }

  getUploadUrl(bucketId: string): Promise<UploadUrl> {
    return this.call<UploadUrl>('b2_get_upload_url', { bucketId });
  }

  /** `total` uploads by `workers` workers, each with its own upload URL (fetched once, or given). */
  async uploadMany(
    bucketId: string,
    total: number,
    workers: number,
    name: (i: number) => string,
    send: (url: UploadUrl, name: string, i: number) => Promise<unknown>,
    urls?: UploadUrl[],
  ): Promise<number> {
    let next = 0;
    let done = 0;
    const worker = async (w: number): Promise<void> => {
      const url = urls?.[w] ?? (await this.getUploadUrl(bucketId));
      for (let i = next++; i < total; i = next++) {
        const r = (await send(url, name(i), i)) as { fileId?: string };
        if (!r?.fileId) throw new Error('upload without fileId');
        done++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(workers, total) }, (_, w) => worker(w)));
    return done;
  }

  /** One b2_upload_file the raw way: SHA-1 of the body computed here, one write. */
  rawUpload(contents: Buffer): (url: UploadUrl, name: string) => Promise<unknown> {
    return (url, name) => rawRequest('POST', url.uploadUrl, uploadHeaders(url, name, contents), contents);
  }
}
