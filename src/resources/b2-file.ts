/** A file version, as aiob2's File: its fields, and download / delete / hide / versions on it. */
import { Observable, catchError, defer, map, mergeMap, of, switchMap, take, takeWhile, throwError, toArray, type Observable as Obs } from 'rxjs';
import type { B2ContentSha1, B2FileAction, B2FileRetentionValue, B2FileWire } from '../api/wire';
import type { B2Event } from '../http/events';
import { downloadPipeline, expectedWholeFileSha1, type B2DownloadEvent, type B2DownloadResult, type DownloadRequest } from '../transfer/download';
import { intoBuffer, intoFile } from '../transfer/download-sinks';
import { parallelDownload, type ParallelDownloadOptions } from '../transfer/parallel-download';
import { Listing } from '../operators/listing';
import type { ClientContext } from './context';
import { checkConcurrency, checkContentType, checkFileInfo, checkFileName, checkHeaders, checkOptions, checkPositiveInt, checkRange } from './validate';
import { checkLegalHold, checkRetention } from '../api/protection-wire';
import { customerKeyHeaders, encryptionJson, protectionWire, type B2Encryption, type B2FileProtection, type B2Retention } from './protection';
import { versions } from './listings';
import { B2Error, invalidArgument } from '../http/b2-error';
import { copyFileVersion } from '../transfer/copy';
import type { B2LargeUploadEvent } from '../transfer/large-file-pipeline';

/**
 * A file version as B2 described it (https://www.backblaze.com/docs/cloud-storage-files): from a
 * listing, a look-up or an upload. Its fields are B2's; its methods download, copy, delete, hide
 * and list versions, each a cold Observable: nothing is checked or sent before subscribe, and
 * unsubscribing aborts what is in flight.
 */
export class B2File {
  /** B2's id of this version (`''` for a `folder` row of a listing with a delimiter, which has none). */
  readonly fileId: string;
  /** The file's name in its bucket. */
  readonly fileName: string;
  /** The id of the bucket the version is in. */
  readonly bucketId: string;
  /** 40 hex (or `unverified:` and 40 hex); "none" for large files (see `fileInfo.large_file_sha1`). */
  readonly contentSha1: B2ContentSha1 | null;
  /** The version's size in bytes (0 for hide markers, unfinished large files and folder rows). */
  readonly contentLength: number;
  /** Its MIME type, as stored (null for a folder row). */
  readonly contentType: string | null;
  /**
   * Its custom file info, keys in lower case (`{}` when none): `src_last_modified_millis`,
   * `large_file_sha1`… (https://www.backblaze.com/docs/cloud-storage-add-file-information-with-the-native-api).
   */
  readonly fileInfo: Readonly<Record<string, string>>;
  /** upload, copy, hide, start (unfinished large file) or folder (listing with a delimiter). */
  readonly action: B2FileAction;
  /** When the version was uploaded (or the large file started), in ms since the epoch, UTC (0 for a folder row). */
  readonly uploadTimestamp: number;
  /** Retention (null when none, or when the key may not read it). */
  readonly fileRetention: B2FileRetentionValue | null;
  /** Legal hold: on, off, or null (never set, or the key may not read it). */
  readonly legalHold: 'on' | 'off' | null;
  /** SSE-B2, SSE-C or none (https://www.backblaze.com/docs/cloud-storage-server-side-encryption-with-the-native-api). */
  readonly serverSideEncryption: {
    /** `SSE-B2` (Backblaze's keys), `SSE-C` (the uploader's key: needed to download it), or null when not encrypted. */
    mode: string | null;
    /** `AES256` when encrypted, else null. */
    algorithm: string | null;
  } | null;
  /** True once `delete()` removed this version. */
  deleted = false;

  // A true private field: util.inspect, JSON and test failure output never reach the session
  // (and the account token it caches).
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(
    ctx: ClientContext,
    /** The version as B2's JSON answer gave it (every field, `accountId`, `contentMd5`… included), as received. */
    readonly wire: B2FileWire,
  ) {
    this.#ctx = ctx;
    this.fileId = wire.fileId ?? '';
    this.fileName = wire.fileName;
    this.bucketId = wire.bucketId;
    this.contentSha1 = wire.contentSha1;
    this.contentLength = wire.contentLength ?? wire.size ?? 0;
    this.contentType = wire.contentType;
    this.fileInfo = wire.fileInfo ?? {};
    this.action = wire.action;
    this.uploadTimestamp = wire.uploadTimestamp;
    this.fileRetention = wire.fileRetention?.value ?? null;
    this.legalHold = wire.legalHold?.value ?? null;
    this.serverSideEncryption = wire.serverSideEncryption ?? null;
  }

  /**
   * Downloads this version by id. Emits `sent`, `responseHeader` with `body` (a byte stream to
   * consume; in Node a `stream.Readable`), `downloadProgress` as it is read, and `response` last
   * once the body ended — after verifying the whole-file SHA-1 (a mismatch errors with
   * `checksum_mismatch`; `response.body` says what was verified), then completes. With
   * `concurrency` above 1 and a file above two parts (no `range`, no `authorizationToken`), ranged
   * requests fetch the parts in parallel and the body comes in file order. Errors with
   * `invalid_argument` naming the option before any request, otherwise with B2's error after
   * retries (a broken body is resumed from where it stopped). Unsubscribing aborts the requests and
   * ends the body stream.
   *
   * @example
   * file.download().subscribe((e) => { if (e.type === 'responseHeader') e.body!.pipe(out) })
   */
  download(options: DownloadOptions & ParallelDownloadOptions = {}): Observable<B2DownloadEvent> {
    return defer(() => {
      options = checkDownloadOptions(options);
      return this.parallel(options, 1)
        ? (parallelDownload(this.#ctx.transfer, this.parallelTarget(options), options, 'stream') as Observable<B2DownloadEvent>)
        : downloadPipeline(this.#ctx.transfer, downloadRequest({ fileId: this.fileId }, options));
    });
  }

  /**
   * Downloads into memory: the events of `download` but for the body stream, then `response` with
   * `body.data` (the whole body) once it is read and verified; completes after it. Errors and
   * unsubscribing as `download`.
   */
  downloadToBuffer(options: DownloadOptions & ParallelDownloadOptions = {}): Observable<
    B2Event<
      B2DownloadResult & {
        /** The body's bytes (a Buffer in Node). */
        data: Uint8Array;
      }
    >
  > {
    return this.download(options).pipe(intoBuffer());
  }

  /**
   * Downloads into a file (Node), written under a temporary name and renamed once complete and
   * verified. Files above two parts go as parallel ranged requests (`concurrency`, default 4),
   * written at their offsets as they arrive, hashed in one pass in order, and flushed to the disk
   * (fsync) before the rename; a file that goes as one request is renamed without an fsync. Emits the events of
   * `download` but for the body stream, then `response` with `body.path` once the file is in place;
   * completes after it. Errors with `invalid_argument` (naming `path` or the option) before any
   * request; with `local_io_error` (`osCode`, `path`) when the file cannot be written; otherwise as
   * `download`. On an error or an unsubscribe the requests are aborted and the temporary file is
   * removed: nothing is left at `path`.
   */
  downloadToFile(
    path: string,
    options: DownloadOptions & ParallelDownloadOptions = {},
  ): Observable<
    B2Event<
      B2DownloadResult & {
        /** The path written, as given. */
        path: string;
      }
    >
  > {
    return defer(() => {
      if (typeof path !== 'string' || path === '') throw invalidArgument('path', 'must be a file path');
      options = checkDownloadOptions(options);
      return this.parallel(options, 4)
        ? (parallelDownload(this.#ctx.transfer, this.parallelTarget(options), options, { path }) as Observable<B2Event<B2DownloadResult & { path: string }>>)
        : this.download({ ...options, concurrency: 1 }).pipe(intoFile(path));
    });
  }

  private parallel(options: DownloadOptions & ParallelDownloadOptions, defaultConcurrency: number): boolean {
    const concurrency = checkConcurrency(options.concurrency, defaultConcurrency);
    if (options.partSize !== undefined) checkPositiveInt(options.partSize, 'partSize');
    const partSize = options.partSize ?? 16 << 20;
    return !options.range && !options.authorizationToken && concurrency > 1 && this.contentLength > 2 * partSize;
  }

  private parallelTarget(options: DownloadOptions) {
    return {
      fileId: this.fileId,
      contentLength: this.contentLength,
      expectedSha1: expectedWholeFileSha1(this.contentSha1, this.fileInfo.large_file_sha1),
      headers: downloadRequest({ fileId: this.fileId }, options).headers,
    };
  }

  /**
   * Copies this version on the server (no bytes through the client): one b2_copy_file, or for
   * files above `largeFileThreshold` a large file of b2_copy_part ranges, `concurrency` at a time.
   * Emits (for large copies) `largeFileStarted` and `partUploaded` events, then `response` with the
   * new `B2File`. `metadataDirective` COPY (default) keeps content type and file info; REPLACE
   * takes `contentType` and `fileInfo`. `bucketId` copies into another bucket of the account.
   * Completes after `response` (https://www.backblaze.com/apidocs/b2-copy-file,
   * https://www.backblaze.com/apidocs/b2-copy-part). Errors with `invalid_argument` naming the
   * option before any request (only an `upload` or `copy` version can be copied), otherwise with
   * B2's error after retries (a large copy is cancelled). Unsubscribing aborts the requests in
   * flight (and cancels a large copy).
   */
  copy(
    options: B2FileProtection & {
      /** The source's SSE-C key, when it is an SSE-C file. */
      sourceEncryption?: B2Encryption;
      /** The new version's name, checked as `UploadFileOptions.fileName` (it may be this file's own name: a new version). */
      fileName: string;
      /** The bucket to copy into (default: this file's bucket); the key must be allowed to write there. */
      bucketId?: string;
      /** `COPY` (default): the new version keeps this one's content type and file info; `REPLACE`: it takes `contentType` and `fileInfo`. */
      metadataDirective?: 'COPY' | 'REPLACE';
      /** With `REPLACE`: the new version's content type (default `b2/x-auto`, by B2 from the name). */
      contentType?: string;
      /** With `REPLACE`: the new version's file info (default none), checked as `UploadFileOptions.fileInfo`. */
      fileInfo?: Record<string, string>;
      /** Above this many bytes the copy goes as a large file of copied parts (default: the account's recommendedPartSize; at most 5 GB, B2's limit of one copy). */
      largeFileThreshold?: number;
      /** Bytes per copied part (default: the account's recommendedPartSize, grown to fit 10,000 parts). */
      partSize?: number;
      /** Parts copied at once, 1 to 64 (default 4). */
      concurrency?: number;
    },
  ): Observable<B2LargeUploadEvent<B2File>> {
    return defer(() => {
      options = checkOptions(options);
      const fileName = checkFileName(options.fileName);
      const directive = options.metadataDirective ?? 'COPY';
      if (directive !== 'COPY' && directive !== 'REPLACE') throw invalidArgument('metadataDirective', 'must be COPY or REPLACE');
      if (directive === 'COPY' && (options.contentType !== undefined || options.fileInfo !== undefined)) {
        throw invalidArgument('metadataDirective', 'contentType and fileInfo need metadataDirective REPLACE');
      }
      // b2_copy_file answers "copy" for the version it made; later listings say "upload".
      if (this.action !== 'upload' && this.action !== 'copy') throw invalidArgument('file', `only an uploaded version can be copied (this one is "${this.action}")`);
      const concurrency = checkConcurrency(options.concurrency);
      // Checked and encoded now, before any request.
      const sourceEncryption = encryptionJson(options.sourceEncryption, 'sourceEncryption');
      const protection = protectionWire(options);
      return copyFileVersion(
        this.#ctx.transfer,
        { fileId: this.fileId, contentLength: this.contentLength, contentType: this.contentType, fileInfo: { ...this.fileInfo } },
        {
          fileName,
          destinationBucketId: options.bucketId ?? this.bucketId,
          metadataDirective: directive,
          contentType: options.contentType === undefined ? undefined : checkContentType(options.contentType),
          fileInfo: options.fileInfo === undefined ? undefined : checkFileInfo(options.fileInfo),
          largeFileThreshold: options.largeFileThreshold,
          partSize: options.partSize,
          concurrency,
          sourceEncryption,
          protection,
        },
      ).pipe(map((e): B2LargeUploadEvent<B2File> => (e.type === 'response' ? { ...e, body: new B2File(this.#ctx, e.body) } : e)));
    });
  }

  /**
   * Deletes this version (https://www.backblaze.com/apidocs/b2-delete-file-version); emits this
   * file, marked `deleted`, then completes (also when a retry after a lost answer finds it gone).
   * Errors with B2's error (B2 refuses a version under retention or legal hold);
   * unsubscribing aborts the request. `bypassGovernance: true` (default false) deletes a version
   * under governance retention, for a key with the `bypassGovernance` capability
   * (https://www.backblaze.com/docs/cloud-storage-object-lock).
   */
  delete(options: { bypassGovernance?: boolean } = {}): Observable<B2File> {
    return defer(() => {
      const bypassGovernance = checkOptions(options).bypassGovernance || undefined;
      let attempts = 0;
      return this.#ctx.api.deleteFileVersion({ fileName: this.fileName, fileId: this.fileId, bypassGovernance }, { onAttempt: (n) => (attempts = n) }).pipe(
        // A retry after a lost answer finds the version gone: the delete did happen.
        catchError((err: unknown) => (attempts > 1 && err instanceof B2Error && err.code === 'file_not_present' ? of(null) : throwError(() => err))),
        map(() => {
          this.deleted = true;
          return this;
        }),
      );
    });
  }

  /**
   * Sets or (null) removes this version's retention (b2_update_file_retention). Shortening or
   * removing governance retention needs `bypassGovernance: true` (default false; the key needs the
   * `bypassGovernance` capability); compliance can only be extended
   * (https://www.backblaze.com/docs/cloud-storage-object-lock). Emits the new retention once and
   * completes; errors with `invalid_argument` (naming `fileRetention.mode` or
   * `.retainUntilTimestamp`) before any request, otherwise with B2's error; unsubscribing aborts
   * the request.
   */
  updateRetention(retention: B2Retention | null, options: { bypassGovernance?: boolean } = {}) {
    return defer(() => {
      const fileRetention = retention === null ? { mode: null, retainUntilTimestamp: null } : checkRetention(retention)!;
      return this.#ctx.api
        .updateFileRetention({ fileName: this.fileName, fileId: this.fileId, fileRetention, bypassGovernance: options.bypassGovernance || undefined })
        .pipe(map((r) => r.fileRetention));
    });
  }

  /**
   * Turns this version's legal hold on or off (b2_update_file_legal_hold,
   * https://www.backblaze.com/docs/cloud-storage-object-lock); emits the new value once and
   * completes. Errors with `invalid_argument` naming `legalHold` before any request, otherwise with
   * B2's error; unsubscribing aborts the request.
   */
  updateLegalHold(legalHold: 'on' | 'off') {
    return defer(() => {
      const value = checkLegalHold(legalHold)!;
      return this.#ctx.api.updateFileLegalHold({ fileName: this.fileName, fileId: this.fileId, legalHold: value }).pipe(map((r) => r.legalHold));
    });
  }

  /**
   * Hides the file's name (https://www.backblaze.com/apidocs/b2-hide-file): listings of current
   * files leave it out, its versions stay. Emits the new hide marker once and completes (also when
   * a retry after a lost answer finds the name hidden by it). Errors with B2's error;
   * unsubscribing aborts the request.
   */
  hide(): Observable<B2File> {
    return defer(() => {
      let attempts = 0;
      return this.#ctx.api.hideFile({ bucketId: this.bucketId, fileName: this.fileName }, { onAttempt: (n) => (attempts = n) }).pipe(
        map((w) => new B2File(this.#ctx, w)),
        // A retry after a lost answer finds the name hidden: the marker it made is the newest version.
        catchError((err: unknown) =>
          attempts > 1 && err instanceof B2Error && err.code === 'already_hidden'
            ? listVersionsOfName(this.#ctx, this.bucketId, this.fileName, 1).pipe(switchMap((newest) => (newest.action === 'hide' ? of(newest) : throwError(() => err))))
            : throwError(() => err),
        ),
      );
    });
  }

  /**
   * Every version of this name, newest first, up to `limit` (default 10,000 as in aiob2). A
   * `Listing`: paged lazily; `for await` pages on demand. Completes after the last; errors with
   * `invalid_argument` naming `limit` before any request, otherwise with B2's error; unsubscribing
   * aborts the request in flight and fetches no more pages.
   */
  getVersions(options: { limit?: number } = {}): Listing<B2File> {
    return new Listing((demand) =>
      defer(() => {
        const limit = checkPositiveInt(checkOptions(options).limit ?? 10_000, 'limit');
        return listVersionsOfName(this.#ctx, this.bucketId, this.fileName, limit, demand);
      }),
    );
  }

  /** Deletes every version of this file's name, `concurrency` (1 to 64, default 4) at a time; as `Bucket.deleteAllVersions`. */
  deleteAllVersions(options: { concurrency?: number; bypassGovernance?: boolean } = {}): Obs<B2File> {
    return defer(() => {
      const concurrency = checkConcurrency(checkOptions(options).concurrency);
      // Listed in full first, so deleting does not shift the listing under its own cursor.
      return listVersionsOfName(this.#ctx, this.bucketId, this.fileName, Number.MAX_SAFE_INTEGER).pipe(
        toArray(),
        mergeMap((versions) => versions),
        mergeMap((version) => version.delete({ bypassGovernance: options.bypassGovernance }), concurrency),
      );
    });
  }

  /** B2's JSON of the version (`wire`): what `JSON.stringify(file)` writes; never the session or a token. */
  toJSON(): B2FileWire {
    return this.wire;
  }
}

/**
 * Options of a download (`B2File.download`, `Bucket.downloadFileByName`…): a range, an SSE-C key,
 * headers, a token (https://www.backblaze.com/docs/cloud-storage-download-files-with-the-native-api).
 * Bad values fail with `invalid_argument` naming the option, on subscribe, before any request.
 */
export interface DownloadOptions {
  /** Inclusive byte range; absent = the whole file (then its SHA-1 is verified). */
  range?: {
    /** The first byte, from 0. */
    start: number;
    /** The last byte, included (≥ `start`); absent: to the end of the file. */
    end?: number;
  };
  /** The SSE-C key of an SSE-C file (needed to read it). */
  serverSideEncryption?: B2Encryption;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** A download-authorization token to use instead of the account token (by name only). */
  authorizationToken?: string;
}

/** The download pipeline's request for checked `options`: the request headers ready to send (the SSE-C key's included). */
export function downloadRequest(by: DownloadRequest['by'], options: DownloadOptions): DownloadRequest {
  return { by, headers: { ...options.headers, ...customerKeyHeaders(options.serverSideEncryption) }, range: options.range, authorizationToken: options.authorizationToken };
}

/** Download options checked before any request (range, headers, part settings). */
export function checkDownloadOptions<T extends DownloadOptions & ParallelDownloadOptions>(options: T | undefined): T {
  const o = checkOptions(options);
  checkConcurrency(o.concurrency);
  if (o.partSize !== undefined) checkPositiveInt(o.partSize, 'partSize');
  if (o.serverSideEncryption !== undefined) encryptionJson(o.serverSideEncryption);
  return { ...o, range: checkRange(o.range), headers: checkHeaders(o.headers) };
}

/** Versions of exactly one name, newest first, up to `limit` (pages stop at the first other name). */
export function listVersionsOfName(ctx: ClientContext, bucketId: string, fileName: string, limit: number, demand?: Observable<unknown>): Observable<B2File> {
  return versions(ctx.api, { bucketId, prefix: fileName, startFileName: fileName }, 1000, limit, demand).pipe(
    takeWhile((w) => w.fileName === fileName),
    take(limit),
    map((w) => new B2File(ctx, w)),
  );
}
