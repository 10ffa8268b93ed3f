/**
 * A transport that confines a client to one folder of one real bucket: how the client specs run
 * against an external server (a live B2 account, an emulator process) without creating buckets.
 *
 * The client believes it has the buckets it created; every bucket it creates is the one real run
 * bucket, under the name it asked for. Every file name it sends gets `prefix` in front (JSON
 * fields, the upload header, download-by-name URLs) and loses it on the way back (JSON, headers,
 * error messages), so specs see exactly the names they used, and cannot see or touch anything
 * outside `prefix`. Bucket settings (public, info, CORS, lifecycle, Object Lock) are not emulated:
 * specs that need them are skipped on external servers (see support.ts).
 */
import { catchError, map, throwError, type Observable } from 'rxjs';
import { B2Error, type B2Event, type B2HttpRequest, type B2Transport } from '../../src';

export interface JailBucket {
  bucketId: string;
  bucketName: string;
}

/** JSON fields that carry a file name (or a prefix of one), in requests and responses. */
const NAME_FIELDS = new Set(['fileName', 'startFileName', 'nextFileName', 'prefix', 'namePrefix', 'fileNamePrefix']);
/** Calls whose name filter must be set even when the client sends none (they would list the whole bucket). */
const PREFIX_FILTER: Record<string, string> = {
  b2_list_file_names: 'prefix',
  b2_list_file_versions: 'prefix',
  b2_list_unfinished_large_files: 'namePrefix',
};
/** Calls that would change or remove the shared bucket. */
const REFUSED = new Set(['b2_update_bucket', 'b2_delete_bucket']);

/** One folder of the run bucket, shared by every client a spec suite makes (`transport()` wraps each one's). */
export class Jail {
  /** Bucket names the clients created (all of them the real bucket), the last one answering for it. */
  readonly virtual = new Set<string>();
  lastVirtual: string | undefined;
  /** Ids of the keys the clients created, to delete when the suite ends. */
  readonly keys: string[] = [];

  constructor(
    readonly real: JailBucket,
    /** Safe characters only (letters, digits, '-', '_', '/'): sent as is in URLs and headers. */
    readonly prefix: string,
  ) {
    if (!/^[A-Za-z0-9_/-]+\/$/.test(prefix)) throw new Error(`jail prefix ${prefix}: letters, digits, '-', '_' and '/', ending in '/'`);
  }

  transport(inner: B2Transport): B2Transport {
    return jailTransport(inner, this);
  }
}

function jailTransport(inner: B2Transport, jail: Jail): B2Transport {
  const { real, prefix, virtual } = jail;
  const toReal = (name: unknown) => (typeof name === 'string' && virtual.has(name) ? real.bucketName : name);
  const strip = (name: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : name);

  const inward = (json: Record<string, unknown>, operation: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...json };
    for (const key of Object.keys(out)) {
      if (NAME_FIELDS.has(key) && typeof out[key] === 'string') out[key] = prefix + (out[key] as string);
    }
    const filter = PREFIX_FILTER[operation];
    if (filter && typeof out[filter] !== 'string') out[filter] = prefix;
    // A key restricted to a bucket is restricted to the folder too.
    if (operation === 'b2_create_key' && typeof out.bucketId === 'string' && typeof out.namePrefix !== 'string') out.namePrefix = prefix;
    if ('bucketName' in out) out.bucketName = toReal(out.bucketName);
    return out;
  };

  const outward = (value: unknown, bucketName: string | undefined): unknown => {
    if (Array.isArray(value)) return value.map((v) => outward(v, bucketName));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (NAME_FIELDS.has(key) && typeof v === 'string') out[key] = strip(v);
      else if (key === 'bucketName' && v === real.bucketName) out[key] = bucketName ?? jail.lastVirtual ?? v;
      else out[key] = outward(v, bucketName);
    }
    return out;
  };

  const headersOut = (headers: Record<string, string>): Record<string, string> => {
    const name = headers['x-bz-file-name'];
    return name === undefined || !name.startsWith(prefix) ? headers : { ...headers, 'x-bz-file-name': name.slice(prefix.length) };
  };

  return {
    request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
      if (REFUSED.has(req.operation)) {
        return throwError(() => new B2Error({ status: 400, code: 'bad_request', message: `the test jail does not ${req.operation} the shared bucket`, operation: req.operation }));
      }
      let sent = req;
      let asked: string | undefined;
      const json = req.json as Record<string, unknown> | undefined;
      if (req.operation === 'b2_create_bucket' && json) {
        // "Creating" a bucket: the run bucket, looked up, answering to the name asked for.
        asked = String(json.bucketName);
        virtual.add(asked);
        jail.lastVirtual = asked;
        sent = {
          ...req,
          operation: 'b2_list_buckets',
          url: req.url.replace(/b2_create_bucket$/, 'b2_list_buckets'),
          json: { accountId: json.accountId, bucketName: real.bucketName },
        };
      } else if (json && typeof json === 'object') {
        if (typeof json.bucketName === 'string' && virtual.has(json.bucketName)) asked = json.bucketName;
        sent = { ...req, json: inward(json, req.operation) };
      }
      if (req.headers?.['X-Bz-File-Name'] !== undefined) {
        sent = { ...sent, headers: { ...req.headers, 'X-Bz-File-Name': prefix + req.headers['X-Bz-File-Name'] } };
      }
      const byName = /^(.*\/file\/)([^/?]+)\/(.*)$/.exec(req.url);
      if (req.operation === 'b2_download_file_by_name' && byName) {
        const bucket = decodeURIComponent(byName[2]);
        asked = bucket;
        sent = { ...sent, url: `${byName[1]}${encodeURIComponent(String(toReal(bucket)))}/${prefix}${byName[3]}` };
      }
      const answered: Observable<B2Event<unknown, unknown>> = inner.request<unknown>(sent).pipe(
        map((event): B2Event<unknown, unknown> => {
          if (event.type === 'response' || event.type === 'responseHeader') {
            const headers = headersOut(event.headers);
            if (event.type === 'responseHeader') return { ...event, headers };
            let body = event.body;
            if (req.operation === 'b2_create_bucket') {
              const buckets = (body as { buckets: unknown[] }).buckets;
              if (buckets.length !== 1)
                throw new B2Error({ status: 400, code: 'bad_request', message: `the run bucket ${real.bucketName} is not there`, operation: req.operation });
              body = buckets[0];
            }
            if (req.operation === 'b2_create_key') jail.keys.push((body as { applicationKeyId: string }).applicationKeyId);
            if (req.operation === 'b2_delete_key') {
              const made = jail.keys.indexOf((body as { applicationKeyId: string }).applicationKeyId);
              if (made >= 0) jail.keys.splice(made, 1);
            }
            return { ...event, headers, body: req.responseType === 'stream' ? body : outward(body, asked) };
          }
          return event;
        }),
        catchError((err: unknown) =>
          throwError(() =>
            err instanceof B2Error
              ? new B2Error({
                  status: err.status,
                  code: err.code,
                  message: err.message
                    .split(prefix)
                    .join('')
                    .split(real.bucketName)
                    .join(asked ?? jail.lastVirtual ?? real.bucketName),
                  retryAfter: err.retryAfter,
                  field: err.field,
                  operation: err.operation,
                })
              : err,
          ),
        ),
      );
      return answered as Observable<B2Event<T, unknown>>;
    },
  };
}
