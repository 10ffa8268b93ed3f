/**
 * Server-side copies (https://www.backblaze.com/apidocs/b2-copy-file, https://www.backblaze.com/apidocs/b2-copy-part): one b2_copy_file below the threshold; above it a
 * large file whose parts are b2_copy_part ranges of the source, `concurrency` at a time, through
 * the same pipeline as large uploads (cancelled on failure, parts finished in order).
 */
import { Observable, defer, firstValueFrom, map, switchMap } from 'rxjs';
import { copyFile, type CopyFileRequest } from '../api/files';
import { cancelLargeFile, copyPart, startLargeFile } from '../api/large-files';
import { finishOnce } from './large-upload-steps';
import type { B2FileWire } from '../api/wire';
import type { B2ResponseEvent } from '../http/events';
import type { B2Session } from '../session/session';
import { runLargeUpload, type B2LargeUploadEvent, type LargeUploadSteps } from './large-upload';
import { choosePartSize, planParts } from './part-plan';
import { checkLegalHold, checkRetention, encryptionJson, type B2Encryption, type B2FileProtection } from '../resources/protection';

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
  concurrency?: number;
  /** The source's SSE-C key, when it is an SSE-C file. */
  sourceEncryption?: B2Encryption;
  /** Encryption, retention and legal hold of the copy. */
  protection: B2FileProtection;
}

export function copyFileVersion(session: B2Session, source: CopySource, req: CopyRequest): Observable<B2LargeUploadEvent> {
  return defer(async () => firstValueFrom(session.authorized())).pipe(
    switchMap((auth): Observable<B2LargeUploadEvent> => {
      const threshold = Math.min(req.largeFileThreshold ?? auth.recommendedPartSize, 5_000_000_000);
      if (source.contentLength <= threshold) {
        const body: CopyFileRequest = {
          sourceFileId: source.fileId,
          fileName: req.fileName,
          destinationBucketId: req.destinationBucketId,
          metadataDirective: req.metadataDirective,
          sourceServerSideEncryption: encryptionJson(req.sourceEncryption, 'sourceEncryption'),
          destinationServerSideEncryption: encryptionJson(req.protection.serverSideEncryption),
          fileRetention: checkRetention(req.protection.fileRetention),
          legalHold: checkLegalHold(req.protection.legalHold),
          ...(req.metadataDirective === 'REPLACE' ? { contentType: req.contentType ?? 'b2/x-auto', fileInfo: req.fileInfo ?? {} } : {}),
        };
        return session.call((t) => copyFile(t, body)).pipe(map((file): B2ResponseEvent<B2FileWire> => ({ type: 'response', status: 200, headers: {}, body: file })));
      }
      const partSize = choosePartSize(source.contentLength, auth, req.partSize);
      const plan = planParts(source.contentLength, partSize);
      const replace = req.metadataDirective === 'REPLACE';
      const steps: LargeUploadSteps = {
        start: () =>
          session
            .call((t) =>
              startLargeFile(t, {
                bucketId: req.destinationBucketId,
                fileName: req.fileName,
                contentType: replace ? (req.contentType ?? 'b2/x-auto') : (source.contentType ?? 'application/octet-stream'),
                fileInfo: replace ? (req.fileInfo ?? {}) : source.fileInfo,
                serverSideEncryption: encryptionJson(req.protection.serverSideEncryption),
                fileRetention: checkRetention(req.protection.fileRetention),
                legalHold: checkLegalHold(req.protection.legalHold),
              }),
            )
            .pipe(map((f) => ({ fileId: f.fileId!, resumed: false, partsDone: new Map<number, string>() }))),
        uploadPart: (fileId, part) =>
          session
            .call((t) =>
              copyPart(t, {
                sourceFileId: source.fileId,
                largeFileId: fileId,
                partNumber: part.partNumber,
                range: `bytes=${part.offset}-${part.offset + part.length - 1}`,
                sourceServerSideEncryption: encryptionJson(req.sourceEncryption, 'sourceEncryption'),
                // An SSE-C destination repeats its key on every part; SSE-B2 was set at start.
                destinationServerSideEncryption: req.protection.serverSideEncryption?.mode === 'SSE-C' ? encryptionJson(req.protection.serverSideEncryption) : undefined,
              }),
            )
            .pipe(map((p) => ({ type: 'done' as const, contentSha1: p.contentSha1, contentLength: p.contentLength }))),
        finish: (fileId, partSha1Array) => finishOnce(session, fileId, partSha1Array),
        cancel: (fileId) => session.call((t) => cancelLargeFile(t, { fileId })),
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
