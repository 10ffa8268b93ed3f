/**
 * Server-side copies (https://www.backblaze.com/apidocs/b2-copy-file, https://www.backblaze.com/apidocs/b2-copy-part): one b2_copy_file below the threshold; above it a
 * large file whose parts are b2_copy_part ranges of the source, `concurrency` at a time, through
 * the same pipeline as large uploads (cancelled on failure, parts finished in order).
 */
import { map, switchMap, type Observable } from 'rxjs';
import type { CopyFileRequest } from '../api/files';
import { startLargeFileRequest } from '../api/large-files';
import type { B2ProtectionWire } from '../api/protection-wire';
import type { B2FileWire, B2ServerSideEncryptionRequest } from '../api/wire';
import type { B2ResponseEvent } from '../http/events';
import { finishOnce } from './large-file-on-b2';
import { runLargeUpload, type B2LargeUploadEvent, type LargeUploadSteps } from './large-file-pipeline';
import { choosePartSize, planParts } from './part-plan';
import type { TransferDeps } from './transfer-deps';

export interface CopySource {
  fileId: string;
  contentLength: number;
  contentType: string | null;
  fileInfo: Record<string, string>;
}

export interface CopyRequest {
  fileName: string;
  destinationBucketId: string;
  /** COPY (default) keeps the source's content type and file info; REPLACE sets them. */
  metadataDirective: 'COPY' | 'REPLACE';
  contentType?: string;
  fileInfo?: Record<string, string>;
  /** Above this many bytes the copy goes in parts (default: the account's recommendedPartSize; B2's b2_copy_file stops at 5 GB). */
  largeFileThreshold?: number;
  partSize?: number;
  /** Parts in flight at once (checked by the caller, see `checkConcurrency`; default 4). */
  concurrency?: number;
  /** The source's SSE-C key as B2 takes it, when it is an SSE-C file. */
  sourceEncryption?: B2ServerSideEncryptionRequest;
  /** Encryption, retention and legal hold of the copy, as B2 takes them. */
  protection: B2ProtectionWire;
}

/**
 * Copies `source` on the server. Emits `response` with the new file (one b2_copy_file), or for a
 * copy in parts `largeFileStarted`, a `partUploaded` per part and `response` last. Errors with
 * B2's error after its retries (a failed part cancels the large file once). Cold; unsubscribing
 * aborts what is in flight and cancels a started large file.
 */
export function copyFileVersion(deps: TransferDeps, source: CopySource, req: CopyRequest): Observable<B2LargeUploadEvent> {
  const { api } = deps;
  return api.authorization().pipe(
    switchMap((auth): Observable<B2LargeUploadEvent> => {
      const threshold = Math.min(req.largeFileThreshold ?? auth.recommendedPartSize, 5_000_000_000);
      const replace = req.metadataDirective === 'REPLACE';
      if (source.contentLength <= threshold) {
        const body: CopyFileRequest = {
          sourceFileId: source.fileId,
          fileName: req.fileName,
          destinationBucketId: req.destinationBucketId,
          metadataDirective: req.metadataDirective,
          sourceServerSideEncryption: req.sourceEncryption,
          destinationServerSideEncryption: req.protection.serverSideEncryption,
          fileRetention: req.protection.fileRetention,
          legalHold: req.protection.legalHold,
          ...(replace ? { contentType: req.contentType ?? 'b2/x-auto', fileInfo: req.fileInfo ?? {} } : {}),
        };
        return api.copyFile(body).pipe(map((file): B2ResponseEvent<B2FileWire> => ({ type: 'response', status: 200, headers: {}, body: file })));
      }
      const partSize = choosePartSize(source.contentLength, auth, req.partSize);
      const plan = planParts(source.contentLength, partSize);
      const start = startLargeFileRequest(
        {
          bucketId: req.destinationBucketId,
          fileName: req.fileName,
          contentType: replace ? (req.contentType ?? 'b2/x-auto') : (source.contentType ?? 'application/octet-stream'),
          fileInfo: replace ? (req.fileInfo ?? {}) : source.fileInfo,
        },
        req.protection,
      );
      const steps: LargeUploadSteps = {
        start: () => api.startLargeFile(start).pipe(map((f) => ({ fileId: f.fileId!, resumed: false, partsDone: new Map<number, string>() }))),
        uploadPart: (fileId, part) =>
          api
            .copyPart({
              sourceFileId: source.fileId,
              largeFileId: fileId,
              partNumber: part.partNumber,
              range: `bytes=${part.offset}-${part.offset + part.length - 1}`,
              sourceServerSideEncryption: req.sourceEncryption,
              // An SSE-C destination repeats its key on every part; SSE-B2 was set at start.
              destinationServerSideEncryption: req.protection.serverSideEncryption?.mode === 'SSE-C' ? req.protection.serverSideEncryption : undefined,
            })
            .pipe(map((p) => ({ type: 'done' as const, contentSha1: p.contentSha1, contentLength: p.contentLength }))),
        finish: (fileId, partSha1Array) => finishOnce(api, fileId, partSha1Array),
        cancel: (fileId) => api.cancelLargeFile({ fileId }),
      };
      return runLargeUpload(steps, {
        fileName: req.fileName,
        size: source.contentLength,
        partSize,
        parts: plan.parts,
        concurrency: req.concurrency ?? 4,
        keepOnFailure: false,
      });
    }),
  );
}
