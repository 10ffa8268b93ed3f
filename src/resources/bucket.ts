/** A bucket, as aiob2's Bucket: its fields, and listing, upload, look-up and deletion of its files. */
import { Observable, defer, map, mergeMap, switchMap, take, throwError } from 'rxjs';
import type {
  B2BucketType,
  B2BucketWire,
  B2CancelLargeFileWire,
  B2CorsRule,
  B2FileWire,
  B2LifecycleRule,
  B2ListFileNamesWire,
  B2UploadPartUrlWire,
  B2UploadUrlWire,
} from '../api/wire';
import { finishOnce } from '../transfer/large-file-on-b2';
import type { B2LargeUploadStart } from '../transfer/authorized-upload';
import { downloadByNameUrl } from '../api/transfers';
import { startLargeFileRequest } from '../api/large-files';
import { B2Error, invalidArgument } from '../http/b2-error';
import { Listing } from '../operators/listing';
import { downloadPipeline, type B2DownloadEvent } from '../transfer/download';
import { uploadSmallFile } from '../transfer/upload';
import { checkLargeFileSha1, uploadLargeFile, type LargeUploadOptions, type StreamOfUnknownLength } from '../transfer/plan-large-upload';
import type { B2LargeUploadEvent } from '../transfer/large-file-pipeline';
import { bytesSource, isUploadStream, openBytesSource, openUploadSource, type B2UploadContents, type UploadSource } from '../transfer/upload-source';
import { peekStream } from '../transfer/stream-parts';
import { MAX_PART_SIZE, choosePartSize } from '../transfer/part-plan';
import { B2File, checkDownloadOptions, downloadRequest, type DownloadOptions } from './b2-file';
import type { ClientContext } from './context';
import { names, versions } from './listings';
import { checkConcurrency, checkContentType, checkFileInfo, checkFileName, checkOptions, checkPositiveInt } from './validate';
import { protectionWire, type B2FileProtection } from './protection';

/**
 * Options of `Bucket.listFiles` and `Bucket.listFileVersions`
 * (https://www.backblaze.com/apidocs/b2-list-file-names,
 * https://www.backblaze.com/apidocs/b2-list-file-versions). Bad values fail with `invalid_argument`
 * naming the option, on subscribe, before any request.
 */
export interface ListFilesOptions {
  /** Stop after this many files (default: all). */
  limit?: number;
  /** Only names starting with this (default: every name); B2 compares bytes, case-sensitively. */
  prefix?: string;
  /** Usually "/": names below a folder collapse into one `folder` row. */
  delimiter?: string;
  /**
   * Start at this name (included when it exists) and go on in B2's order, UTF-8 bytes; default:
   * the first name. Checked as a file name (`invalid_argument` naming `startFileName`).
   */
  startFileName?: string;
  /** Files per request (1–10,000; default 1,000). */
  pageSize?: number;
}

/**
 * Options of `Bucket.uploadFile` and `Bucket.uploadLargeFile`: what to upload, its name and
 * metadata, its protection, and how large files go. Bad values fail with `invalid_argument` naming
 * the option, on subscribe, before any request.
 */
export interface UploadFileOptions extends LargeUploadOptions, B2FileProtection {
  /** What to upload: bytes, text (UTF-8), `{ path }` of a file, a Blob or a stream (see `Bucket.uploadFile`). */
  contents: B2UploadContents;
  /**
   * The file's name in the bucket: 1 to 1,024 bytes of UTF-8, no control characters (below 0x20,
   * or DEL), valid Unicode (https://www.backblaze.com/docs/cloud-storage-files); `/` makes folders
   * in listings with a delimiter. Uploading to a name that exists adds a version: the earlier ones stay.
   */
  fileName: string;
  /** Default `b2/x-auto`: B2 picks by extension. */
  contentType?: string;
  /**
   * Custom file info kept with the version (default none): at most 10 entries of string values;
   * keys of letters, digits and ``-_.~!#$%^&*'+`|``, up to 50 bytes, which B2 lower-cases (so two
   * keys differing only in case are refused)
   * (https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api).
   * `src_last_modified_millis` is the source's modification time in ms, as tools read it.
   */
  fileInfo?: Record<string, string>;
  /**
   * The contents' exact length in bytes: for a stream, when known (otherwise it is cut into parts
   * as it is read); for other contents, checked against their size (a string's, in UTF-8).
   */
  contentLength?: number;
  /** Above this many bytes the upload goes as a large file in parts (default: the account's recommendedPartSize). */
  largeFileThreshold?: number;
}

/** The events of an upload: a small file's, or a large file's with `largeFileStarted` and `partUploaded`. */
export type B2UploadEvent = B2LargeUploadEvent<B2File>;

/**
 * Changes for `Bucket.update` (https://www.backblaze.com/apidocs/b2-update-bucket): a field left out
 * stays as it is; a field given replaces the bucket's whole value (all of `bucketInfo`, every rule).
 */
export interface BucketUpdate {
  /** `allPublic`: anyone may download its files by URL, without a token; `allPrivate`: downloads need an authorization. */
  type?: 'allPublic' | 'allPrivate';
  /** Turn Object Lock on (it cannot be turned off). */
  fileLockEnabled?: boolean;
  /**
   * Retention applied to new files when they set none; the bucket needs Object Lock
   * (https://www.backblaze.com/docs/cloud-storage-object-lock).
   */
  defaultRetention?: {
    /**
     * `governance`: a key with `bypassGovernance` rights may shorten or remove it; `compliance`: no
     * one can, it can only be extended; `null`: no default retention.
     */
    mode: 'governance' | 'compliance' | null;
    /** How long new files are retained from their upload; `null` with mode `null`. */
    period: {
      /** A whole number of `unit`s. */
      duration: number;
      /** The unit of `duration`. */
      unit: 'days' | 'years';
    } | null;
  };
  /** SSE-B2 for new files by default, or `{ mode: null }` for none. */
  defaultServerSideEncryption?: {
    /** `SSE-B2` (Backblaze's keys, AES-256) or `null` for none; another value is `invalid_argument` naming `defaultServerSideEncryption.mode`. */
    mode: 'SSE-B2' | null;
  };
  /** The bucket's user data, replacing all of it (`{}` removes it); see `CreateBucketOptions.bucketInfo`. */
  bucketInfo?: Record<string, string>;
  /** The bucket's CORS rules, replacing all of them (`[]` removes them); see `CreateBucketOptions.corsRules`. */
  corsRules?: B2CorsRule[];
  /** The bucket's lifecycle rules, replacing all of them (`[]` removes them); see `CreateBucketOptions.lifecycleRules`. */
  lifecycleRules?: B2LifecycleRule[];
  /** Refuse the update (409 conflict) unless the bucket is still at this revision. */
  ifRevisionIs?: number;
}

/** A bucket's default encryption as B2 takes it. */
export function defaultSse(value: { mode: 'SSE-B2' | null } | undefined) {
  if (value === undefined) return undefined;
  if (value.mode !== 'SSE-B2' && value.mode !== null) throw invalidArgument('defaultServerSideEncryption.mode', 'must be SSE-B2 or null');
  return value.mode === 'SSE-B2' ? { mode: 'SSE-B2' as const, algorithm: 'AES256' as const } : { mode: null };
}

/**
 * A bucket as B2 described it when this object was made (a snapshot: `update()` emits a new one), from
 * `b2.buckets`. Its fields are B2's (https://www.backblaze.com/apidocs/b2-list-buckets); its methods
 * list, upload, look up, download and delete files, each a cold Observable: nothing is checked or
 * sent before subscribe, and unsubscribing aborts what is in flight.
 */
export class Bucket {
  /** B2's id of the bucket, which the calls on it use. */
  readonly bucketId: string;
  /** Its name, unique across all B2 accounts (https://www.backblaze.com/docs/cloud-storage-buckets). */
  readonly bucketName: string;
  /** allPublic, allPrivate, or another type B2 reports (snapshot, restricted, shared). */
  readonly bucketType: B2BucketType;
  /** The bucket's user data (`{}` when none). */
  readonly bucketInfo: Readonly<Record<string, string>>;
  /** Its lifecycle rules (`[]` when none; https://www.backblaze.com/docs/cloud-storage-lifecycle-rules). */
  readonly lifecycleRules: readonly B2LifecycleRule[];
  /** Its CORS rules (`[]` when none; https://www.backblaze.com/docs/cloud-storage-cross-origin-resource-sharing-rules). */
  readonly corsRules: readonly B2CorsRule[];
  /**
   * B2's revision of the bucket's settings, a number each successful update increases: pass it as
   * `ifRevisionIs` to update only a bucket no one changed since.
   */
  readonly revision: number;
  /** Object Lock (null when the key may not read it). */
  readonly fileLockConfiguration: B2BucketWire['fileLockConfiguration']['value'];
  /** Default encryption of new files (null when the key may not read it). */
  readonly defaultServerSideEncryption: B2BucketWire['defaultServerSideEncryption']['value'];
  /** True once `delete()` removed the bucket. */
  deleted = false;

  // A true private field: util.inspect, JSON and test failure output never reach the session
  // (and the account token it caches).
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(
    ctx: ClientContext,
    /** The bucket as B2's JSON answer gave it (every field, `accountId`, `options`… included), as received. */
    readonly wire: B2BucketWire,
  ) {
    this.#ctx = ctx;
    this.bucketId = wire.bucketId;
    this.bucketName = wire.bucketName;
    this.bucketType = wire.bucketType;
    this.bucketInfo = wire.bucketInfo ?? {};
    this.lifecycleRules = wire.lifecycleRules ?? [];
    this.corsRules = wire.corsRules ?? [];
    this.revision = wire.revision;
    this.fileLockConfiguration = wire.fileLockConfiguration?.value ?? null;
    this.defaultServerSideEncryption = wire.defaultServerSideEncryption?.value ?? null;
  }

  /**
   * Emits each current file (newest version of each visible name) in name order; with a
   * delimiter, `folder` rows too. Pages are fetched lazily with `expand`: `take(5)` costs one
   * call; unsubscribing stops further requests. Completes after the last page (or `limit`).
   * A `Listing`: `for await (const file of bucket.listFiles())` pages on demand, never more than
   * one page ahead of the loop, even when the loop body awaits.
   */
  listFiles(options: ListFilesOptions = {}): Listing<B2File> {
    return this.list(options, false);
  }

  /**
   * Emits every version (uploads, hide markers, unfinished large files), name order then newest
   * first; a `Listing`, paged as `listFiles`.
   */
  listFileVersions(options: ListFilesOptions = {}): Listing<B2File> {
    return this.list(options, true);
  }

  /**
   * @internal One listing request as B2 answers it, for a caller that reads a listing a page at a
   * time and needs B2's cursor (the sync): the files of one b2_list_file_names request (every
   * version, b2_list_file_versions, with `versions`) and where the next page starts (`nextFileName`
   * null after the last page: no request past the end). Emits once and completes; errors with the
   * request's `B2Error`; unsubscribing aborts it.
   */
  listPage(
    request: { prefix?: string; startFileName?: string; startFileId?: string; maxFileCount: number },
    versions: boolean,
  ): Observable<{ files: B2File[]; nextFileName: string | null; nextFileId: string | null }> {
    return defer(() => {
      const base = { bucketId: this.bucketId, prefix: request.prefix, startFileName: request.startFileName, maxFileCount: request.maxFileCount };
      const page: Observable<B2ListFileNamesWire & { nextFileId?: string | null }> = versions
        ? this.#ctx.api.listFileVersions({ ...base, startFileId: request.startFileId })
        : this.#ctx.api.listFileNames(base);
      return page.pipe(map((p) => ({ files: p.files.map((w) => new B2File(this.#ctx, w)), nextFileName: p.nextFileName, nextFileId: p.nextFileId ?? null })));
    });
  }

  private list(options: ListFilesOptions, allVersions: boolean): Listing<B2File> {
    return new Listing((demand) =>
      defer(() => {
        options = checkOptions(options);
        const pageSize = checkPositiveInt(options.pageSize ?? 1000, 'pageSize', 10_000);
        const limit = options.limit === undefined ? undefined : checkPositiveInt(options.limit, 'limit');
        if (options.startFileName !== undefined) checkFileName(options.startFileName, 'startFileName');
        const base = { bucketId: this.bucketId, prefix: options.prefix, delimiter: options.delimiter };
        // With a limit, each page asks only for what is left: B2 reads and sends as many files as
        // maxFileCount asks for (https://www.backblaze.com/apidocs/b2-list-file-names).
        const request = { ...base, startFileName: options.startFileName };
        const files = allVersions ? versions(this.#ctx.api, request, pageSize, limit, demand) : names(this.#ctx.api, request, pageSize, limit, demand);
        const all = files.pipe(map((w: B2FileWire) => new B2File(this.#ctx, w)));
        return limit === undefined ? all : all.pipe(take(limit));
      }),
    );
  }

  /**
   * Uploads a file: as one request (b2_upload_file), or above `largeFileThreshold` as a large
   * file whose parts go up `concurrency` at a time. Emits `sent` (per attempt), `uploadProgress`
   * as bytes are sent (throttled; never going back on a retry), for large files
   * `largeFileStarted` and a `partUploaded` per part, and `response` with the `B2File` last.
   * Files and Blobs are read from their byte ranges as they are sent and hashed on the way, never
   * held whole (files up to 1 MiB are read in one go and sent in one write). A large file records
   * its whole SHA-1 as `large_file_sha1` (see `largeFileSha1`): a file or a Blob is read once
   * ahead of the upload to compute it (in worker threads in Node). Errors with a `B2Error`:
   * `invalid_argument` (naming the option) before any request; `source_changed` (naming the path)
   * as soon as a file is seen changing while it is read — it ran short, or its size, modification
   * time or inode differ from when it was opened — with nothing stored (a large file is
   * cancelled, even with `keepOnFailure`); otherwise B2's error after retries. Unsubscribing
   * aborts every request in flight (and cancels a large file unless `keepOnFailure`). Use
   * `toResponseBody()` for just the file.
   *
   * `contents` is one of: a Buffer/Uint8Array (exactly its bytes, a view at any offset included);
   * a string (UTF-8); `{ path }` of a file; a Blob; or a stream — a Node Readable (object mode,
   * `setEncoding('utf8')` and `createReadStream(path, 'utf8')` included), any async iterable, or a
   * web ReadableStream — whose chunks are bytes or strings (UTF-8) in any mix. A stream with
   * `contentLength` is sent as it is read; without it, it goes as a small file when it ends within
   * `largeFileThreshold`, else in parts cut as it is read.
   *
   * Errors with `invalid_argument` naming the option, before any request, for contents of another
   * type, a stream chunk that is neither bytes nor a string (numbers or objects from an
   * object-mode stream, null, an ArrayBuffer, other typed arrays), a Node stream decoding to text
   * of another encoding than UTF-8, or a `contentLength` that is not the exact byte count. A
   * stream's chunks are checked as read: its first chunk (without `contentLength`, all up to the
   * threshold) before any request; a bad chunk further on, or a stream shorter or longer than its
   * `contentLength`, fails the upload with that error after the requests made so far, a large
   * file cancelled: nothing is stored.
   *
   * @example
   * bucket.uploadFile({ contents: { path: './big.iso' }, fileName: 'isos/big.iso' }).pipe(toResponseBody())
   */
  uploadFile(options: UploadFileOptions): Observable<B2UploadEvent> {
    return this.upload(options, false);
  }

  /**
   * Uploads as a large file whatever the size (parts of `partSize`, `concurrency` at a time); events,
   * completion, errors and unsubscribing as `uploadFile`.
   */
  uploadLargeFile(options: UploadFileOptions): Observable<B2UploadEvent> {
    return this.upload(options, true);
  }

  private plan(source: UploadSource, threshold: number, forceLarge: boolean) {
    return { source, large: forceLarge || source.size > threshold };
  }

  private upload(options: UploadFileOptions, forceLarge: boolean): Observable<B2UploadEvent> {
    return defer(() => {
      options = checkOptions(options);
      // Checked whatever the size turns out to be, so a mistake shows on small files too.
      if (options.partSize !== undefined) checkPositiveInt(options.partSize, 'partSize', MAX_PART_SIZE);
      const concurrency = checkConcurrency(options.concurrency);
      const meta = {
        fileName: checkFileName(options.fileName),
        contentType: checkContentType(options.contentType ?? 'b2/x-auto'),
        fileInfo: checkFileInfo(options.fileInfo),
        // Checked and encoded now, before any request (an SSE-C key of the wrong size, a bad retention).
        protection: protectionWire(options),
      };
      if (options.largeFileThreshold !== undefined) checkPositiveInt(options.largeFileThreshold, 'largeFileThreshold');
      // Checked whatever the size turns out to be too (small files do not use it).
      const largeFileSha1 = checkLargeFileSha1(options.largeFileSha1, meta.fileInfo);
      const contents = options.contents;
      type Planned = { source: UploadSource | StreamOfUnknownLength; large: boolean };
      const inMemory = contents instanceof Uint8Array || typeof contents === 'string';
      /** The source, opened on subscribe (bytes and text at once; files, Blobs and streams once read), and whether it goes large. */
      const open = async (threshold: number): Promise<Planned> => {
        if (isUploadStream(contents) && options.contentLength === undefined) {
          // A stream of unknown length: small if it ends within the threshold, else cut into parts as it is read.
          const { head, ended, whole } = await peekStream(contents, threshold);
          if (ended && !forceLarge) return { source: bytesSource(head, 'stream'), large: false };
          return { source: { unknownLength: true, stream: whole }, large: true };
        }
        return this.plan(await openUploadSource(contents, options.contentLength), threshold, forceLarge);
      };
      const toFile = (wire: B2FileWire) => new B2File(this.#ctx, wire);
      const send = ({ source, large }: Planned): Observable<B2UploadEvent> =>
        large
          ? uploadLargeFile(this.#ctx.transfer, this.bucketId, source, meta, { ...options, concurrency, largeFileSha1 }).pipe(
              map((e: B2LargeUploadEvent): B2UploadEvent => (e.type === 'response' ? { ...e, body: toFile(e.body) } : e)),
            )
          : uploadSmallFile(this.#ctx.transfer, this.bucketId, source as UploadSource, meta, toFile);
      return this.#ctx.api.authorization().pipe(
        switchMap((auth) => {
          const threshold = options.largeFileThreshold ?? auth.recommendedPartSize;
          return inMemory ? send(this.plan(openBytesSource(contents, options.contentLength), threshold, forceLarge)) : whenResolved(open(threshold), send);
        }),
      );
    });
  }

  /**
   * The current version of a name (https://www.backblaze.com/apidocs/b2-list-file-names), or a
   * version by id (https://www.backblaze.com/apidocs/b2-get-file-info): emits it once and completes.
   * Errors with 404 `not_found` when absent (a hidden name is absent), with `invalid_argument`
   * (naming `which`, `name` or `id`) before any request, otherwise with B2's error after retries.
   * Unsubscribing aborts the request.
   */
  getFile(which: { name: string } | { id: string }): Observable<B2File> {
    return defer(() => {
      const target = checkOptions(which as { name?: string; id?: string }, 'which');
      if (!('id' in target) && !('name' in target)) throw invalidArgument('which', 'must be { name } or { id }');
      if ('id' in target) {
        const fileId = target.id;
        if (typeof fileId !== 'string' || fileId === '') throw invalidArgument('id', 'must be a file id');
        return this.#ctx.api.getFileInfo({ fileId }).pipe(map((w) => new B2File(this.#ctx, w)));
      }
      which = target as { name: string };
      const name = checkFileName(which.name, 'name');
      return this.#ctx.api.listFileNames({ bucketId: this.bucketId, startFileName: name, maxFileCount: 1, prefix: name }).pipe(
        mergeMap((page) => {
          const file = page.files.find((f) => f.fileName === name);
          if (!file) return throwError(() => new B2Error({ status: 404, code: 'not_found', message: `no file named ${name} in bucket ${this.bucketName}` }));
          return [new B2File(this.#ctx, file)];
        }),
      );
    });
  }

  /**
   * Downloads the current version of a name (its by-name URL,
   * https://www.backblaze.com/apidocs/b2-download-file-by-name; a name with a `.` or `..` segment,
   * which no URL can carry, is looked up and downloaded by id). Events, completion, errors and
   * unsubscribing as `B2File.download`; `invalid_argument` naming `name` or the option before any
   * request.
   */
  downloadFileByName(name: string, options: DownloadOptions = {}): Observable<B2DownloadEvent> {
    return defer(() => {
      const fileName = checkFileName(name, 'name');
      const checked = checkDownloadOptions(options);
      // URL parsers resolve "." and ".." segments whatever their encoding: such names go by id.
      if (fileName.split('/').some((segment) => segment === '.' || segment === '..')) {
        return this.getFile({ name: fileName }).pipe(switchMap((file) => file.download(checked)));
      }
      return downloadPipeline(this.#ctx.transfer, downloadRequest({ bucketName: this.bucketName, fileName }, checked));
    });
  }

  /**
   * Deletes every version of `name` (hide markers included), listed in full first, then
   * `concurrency` (1 to 64, default 4) at a time; emits each deleted version and completes after the last
   * (at once when there is none). Errors with `invalid_argument` before any request, or with the
   * first failed request's `B2Error` (Object Lock: `bypassGovernance` lifts governance retention
   * for a key allowed to); unsubscribing aborts the requests in flight (versions deleted so far stay
   * deleted).
   */
  deleteAllVersions(name: string, options: { concurrency?: number; bypassGovernance?: boolean } = {}): Observable<B2File> {
    return defer(() => {
      checkFileName(name, 'name');
      const probe = new B2File(this.#ctx, { fileName: name, bucketId: this.bucketId, fileId: null } as B2FileWire);
      return probe.deleteAllVersions(options);
    });
  }

  /**
   * Changes the bucket (https://www.backblaze.com/apidocs/b2-update-bucket); emits the updated
   * bucket as a new `Bucket` once and completes (this one is not changed). Errors with
   * `invalid_argument` naming the option before any request; with 409 `conflict` when
   * `ifRevisionIs` is not the bucket's revision; otherwise with B2's error. Unsubscribing aborts
   * the request (B2 may have applied it meanwhile).
   */
  update(changes: BucketUpdate): Observable<Bucket> {
    return defer(() => {
      changes = checkOptions(changes, 'changes');
      if (changes.ifRevisionIs !== undefined && !Number.isSafeInteger(changes.ifRevisionIs)) throw invalidArgument('ifRevisionIs', 'must be a whole number');
      const defaultServerSideEncryption = defaultSse(changes.defaultServerSideEncryption);
      return this.#ctx.api.updateBucket({
        bucketId: this.bucketId,
        bucketType: changes.type,
        bucketInfo: changes.bucketInfo,
        corsRules: changes.corsRules,
        lifecycleRules: changes.lifecycleRules,
        fileLockEnabled: changes.fileLockEnabled,
        defaultRetention: changes.defaultRetention,
        defaultServerSideEncryption,
        ifRevisionIs: changes.ifRevisionIs,
      });
    }).pipe(map((w) => new Bucket(this.#ctx, w)));
  }

  /**
   * Deletes the bucket (https://www.backblaze.com/apidocs/b2-delete-bucket); it must hold no file
   * version (B2 errors otherwise). Emits this bucket, marked `deleted`, once and completes; errors
   * with B2's error; unsubscribing aborts the request.
   */
  delete(): Observable<Bucket> {
    return this.#ctx.api.deleteBucket({ bucketId: this.bucketId }).pipe(
      map(() => {
        this.deleted = true;
        return this;
      }),
    );
  }

  /**
   * A download authorization for names starting with `prefix`, valid `validDurationInSeconds`
   * (1–604,800; https://www.backblaze.com/apidocs/b2-get-download-authorization). Emits
   * `{ authorizationToken, bucketId, fileNamePrefix }` once and completes. Errors with
   * `invalid_argument` (naming `validDurationInSeconds` or `prefix`) before any request, otherwise
   * with B2's error; unsubscribing aborts the request.
   */
  getDownloadAuthorization(prefix: string, validDurationInSeconds: number) {
    return defer(() => {
      checkPositiveInt(validDurationInSeconds, 'validDurationInSeconds', 604_800);
      if (typeof prefix !== 'string') throw invalidArgument('prefix', 'must be a string');
      return this.#ctx.api.getDownloadAuthorization({ bucketId: this.bucketId, fileNamePrefix: prefix, validDurationInSeconds });
    });
  }

  /**
   * A by-name download URL for `name`. With `validDurationInSeconds` (1 to 604,800: seven days), it
   * carries a download authorization for exactly that name, valid that long, in its query
   * (shareable; works for private buckets). Without it, the bare URL (a private bucket's needs a
   * token).
   * Emits the URL once and completes. Errors with `invalid_argument` before any request (naming
   * `name` for one with a `.` or `..` segment, which no URL can carry), otherwise with B2's error;
   * unsubscribing aborts the request in flight.
   */
  getDownloadUrl(name: string, options: { validDurationInSeconds?: number } = {}): Observable<string> {
    return defer(() => {
      options = checkOptions(options);
      checkFileName(name, 'name');
      if (name.split('/').some((segment) => segment === '.' || segment === '..')) {
        // Every URL parser resolves these segments away, encoded or not: no URL can name this file.
        throw invalidArgument('name', 'has a "." or ".." segment, which no download URL can carry; download it by id (getFile, then download)');
      }
      const url$ = this.#ctx.api.authorization().pipe(map((auth) => downloadByNameUrl(auth.downloadUrl, this.bucketName, name)));
      if (options.validDurationInSeconds === undefined) return url$;
      return this.getDownloadAuthorization(name, options.validDurationInSeconds).pipe(
        mergeMap((grant) => url$.pipe(map((url) => `${url}?Authorization=${encodeURIComponent(grant.authorizationToken)}`))),
      );
    });
  }

  // ------------------------------------------------------------------ keys stay on the server
  // A server holding the key hands these to a page, which uploads with `uploadWithAuthorization`.

  /**
   * An upload URL and its token for one upload at a time into this bucket
   * (https://www.backblaze.com/apidocs/b2-get-upload-url), to hand to a page instead of a key. Valid
   * for 24 hours or until B2 refuses it (the page then asks again); it allows any file name in
   * the bucket, so the server decides whom it gives one to. Emits `{ bucketId, uploadUrl,
   * authorizationToken }` once and completes; errors with a `B2Error` (after B2's retries);
   * unsubscribing aborts the call.
   */
  getUploadAuthorization(): Observable<B2UploadUrlWire> {
    return this.#ctx.api.getUploadUrl({ bucketId: this.bucketId });
  }

  /**
   * Starts a large file for a page to upload the parts of
   * (https://www.backblaze.com/apidocs/b2-start-large-file). `contentLength` (the file's size)
   * picks a part size that fits B2's 10,000 parts; `partSize` asks for one (from the account's
   * absoluteMinimumPartSize to 5 GB; default the recommendedPartSize). `fileName`, `contentType`
   * (default `b2/x-auto`) and `fileInfo` as in `UploadFileOptions`. Emits `{ fileId,
   * fileName, bucketId, partSize }` once and completes. Bad input: `invalid_argument` before any
   * request; B2's refusals as a `B2Error`. Unsubscribing aborts the call (a file B2 started
   * meanwhile stays unfinished). Cancel what a page abandons (`cancelLargeUpload`), finish what it
   * completed (`finishLargeUpload`).
   */
  startLargeUpload(file: { fileName: string; contentType?: string; fileInfo?: Record<string, string>; contentLength?: number; partSize?: number }): Observable<B2LargeUploadStart> {
    return defer(() => {
      file = checkOptions(file, 'file');
      const fileName = checkFileName(file.fileName);
      const contentType = checkContentType(file.contentType ?? 'b2/x-auto');
      const fileInfo = checkFileInfo(file.fileInfo);
      if (file.contentLength !== undefined && (typeof file.contentLength !== 'number' || !Number.isSafeInteger(file.contentLength) || file.contentLength < 0)) {
        throw invalidArgument('contentLength', 'must be a whole number of bytes, 0 or more');
      }
      if (file.partSize !== undefined) checkPositiveInt(file.partSize, 'partSize', MAX_PART_SIZE);
      return this.#ctx.api.authorization().pipe(
        switchMap((auth) => {
          const partSize = choosePartSize(file.contentLength, auth, file.partSize);
          return this.#ctx.api
            .startLargeFile(startLargeFileRequest({ bucketId: this.bucketId, fileName, contentType, fileInfo }, {}))
            .pipe(map((started): B2LargeUploadStart => ({ fileId: started.fileId!, fileName: started.fileName, bucketId: this.bucketId, partSize })));
        }),
      );
    });
  }

  /**
   * A part URL and its token for a large file started with `startLargeUpload`
   * (https://www.backblaze.com/apidocs/b2-get-upload-part-url), for one part upload at a time.
   * Emits `{ fileId, uploadUrl, authorizationToken }` once and completes. Errors: `invalid_argument`
   * for a missing id, before any request; B2's refusals as a `B2Error`. Unsubscribing aborts the call.
   */
  getUploadPartAuthorization(fileId: string): Observable<B2UploadPartUrlWire> {
    return defer(() => {
      const id = checkFileId(fileId);
      return this.#ctx.api.getUploadPartUrl({ fileId: id });
    });
  }

  /**
   * Finishes a large file from its parts' SHA-1s in part order
   * (https://www.backblaze.com/apidocs/b2-finish-large-file); it needs the account token, so it
   * stays on the server. Emits the finished `B2File` once and completes; a finish whose answer was
   * lost and that B2 then refuses emits the file found finished. Bad input (not 40-hex SHA-1s, no
   * parts): `invalid_argument` before any request; B2's refusals (a missing part, a wrong SHA-1)
   * as a `B2Error`. Unsubscribing aborts the call.
   */
  finishLargeUpload(fileId: string, partSha1Array: string[]): Observable<B2File> {
    return defer(() => {
      const id = checkFileId(fileId);
      if (!Array.isArray(partSha1Array) || partSha1Array.length === 0 || partSha1Array.length > 10_000) {
        throw invalidArgument('partSha1Array', 'must be an array of 1 to 10,000 SHA-1s, one per part in order');
      }
      partSha1Array.forEach((sha1, i) => {
        if (typeof sha1 !== 'string' || !/^[0-9a-f]{40}$/.test(sha1)) throw invalidArgument(`partSha1Array[${i}]`, 'must be a SHA-1 as 40 lower-case hex digits');
      });
      return finishOnce(this.#ctx.api, id, [...partSha1Array]).pipe(map((w) => new B2File(this.#ctx, w)));
    });
  }

  /**
   * Cancels an unfinished large file (https://www.backblaze.com/apidocs/b2-cancel-large-file):
   * its parts are deleted. Emits B2's answer (`fileId`, `fileName`, …) once and completes.
   * Errors: `invalid_argument` for a missing id, before any request; B2's refusals as a `B2Error`.
   * Unsubscribing aborts the call.
   */
  cancelLargeUpload(fileId: string): Observable<B2CancelLargeFileWire> {
    return defer(() => {
      const id = checkFileId(fileId);
      return this.#ctx.api.cancelLargeFile({ fileId: id });
    });
  }

  /** B2's JSON of the bucket (`wire`): what `JSON.stringify(bucket)` writes; never the session or a token. */
  toJSON(): B2BucketWire {
    return this.wire;
  }
}

/**
 * The events of `then(value)` once `pending` resolves with `value`; errors with its rejection (or
 * with what `then` throws). Unsubscribing before it resolves drops the value; after, it
 * unsubscribes `then`'s Observable. What `from(pending).pipe(switchMap(then))` does, with two
 * subscribers fewer for every event of a small upload from a file to pass through.
 */
function whenResolved<T, R>(pending: Promise<T>, then: (value: T) => Observable<R>): Observable<R> {
  return new Observable<R>((subscriber) => {
    pending.then(
      (value) => {
        if (subscriber.closed) return;
        let events: Observable<R>;
        try {
          events = then(value);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        // The same subscriber, as `defer` hands it on: its teardown unsubscribes these events.
        events.subscribe(subscriber);
      },
      (err: unknown) => subscriber.error(err),
    );
  });
}

function checkFileId(fileId: unknown): string {
  if (typeof fileId !== 'string' || fileId === '' || /[\s\0]/.test(fileId)) throw invalidArgument('fileId', 'must be a file id');
  return fileId;
}
