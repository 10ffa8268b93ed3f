/** What resources share: the session, retry and progress settings, the upload-URL pool. */
import { map, take, takeWhile, type Observable } from 'rxjs';
import { listFileVersions, type ListFileVersionsRequest } from '../api/files';
import type { B2FileWire, B2ListFileVersionsWire } from '../api/wire';
import { paginate } from '../operators/paginate';
import type { RetryB2Options } from '../operators/retry-b2';
import type { B2Session } from '../session/session';
import { UploadUrlPool } from '../session/upload-url-pool';
import type { TransferContext } from '../transfer/upload';
import { B2File } from './b2-file';

export class ClientContext implements TransferContext {
  readonly uploadUrls = new UploadUrlPool();

  constructor(
    readonly session: B2Session,
    readonly retry: RetryB2Options,
    readonly progressIntervalMs: number,
  ) {}

  file(wire: ConstructorParameters<typeof B2File>[1]): B2File {
    return new B2File(this, wire);
  }

  /**
   * Every version matching a listing request, page after page (cursor: next file name and id),
   * `pageSize` per page; with a `limit`, each page asks only for what is left. With `demand`,
   * pages are pulled (see `paginate`).
   */
  versions(request: Omit<ListFileVersionsRequest, 'startFileId' | 'maxFileCount'>, pageSize: number, limit?: number, demand?: Observable<unknown>): Observable<B2FileWire> {
    return paginate(
      (cursor: { name: string; id: string | null } | undefined, soFar) =>
        this.session.call((t) =>
          listFileVersions(t, {
            ...request,
            maxFileCount: pageFor(pageSize, limit, soFar),
            startFileName: cursor?.name ?? request.startFileName,
            startFileId: cursor?.id ?? undefined,
          }),
        ),
      (page: B2ListFileVersionsWire) => (page.nextFileName === null ? null : { name: page.nextFileName, id: page.nextFileId }),
      (page) => page.files,
      demand,
    );
  }

  /** Versions of exactly one name, newest first (pages stop at the first other name). */
  listVersionsOfName(bucketId: string, fileName: string, limit: number, demand?: Observable<unknown>): Observable<B2File> {
    return this.versions({ bucketId, prefix: fileName, startFileName: fileName }, 1000, limit, demand).pipe(
      takeWhile((w) => w.fileName === fileName),
      take(limit),
      map((w) => this.file(w)),
    );
  }
}

/** Files to ask for in the next page: the page size, or fewer when a limit leaves fewer to fetch. */
export function pageFor(pageSize: number, limit: number | undefined, soFar: number): number {
  return limit === undefined ? pageSize : Math.max(1, Math.min(pageSize, limit - soFar));
}
