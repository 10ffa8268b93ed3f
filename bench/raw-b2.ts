/**
 * The raw node:http B2 client the benchmarks measure rxb2 against (and use for set-up): one
 * keep-alive agent, JSON calls parsed with JSON.parse, nothing else.
 */
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
}
