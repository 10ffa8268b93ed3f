/** What resources share: the session, retry and progress settings, the upload-URL pool. */
import { map, take, takeWhile, type Observable } from 'rxjs';
import { listFileVersions } from '../api/files';
import type { B2ListFileVersionsWire } from '../api/wire';
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

  /** Versions of exactly one name, newest first (pages stop at the first other name). */
  listVersionsOfName(bucketId: string, fileName: string, limit: number): Observable<B2File> {
    return paginate(
      (cursor: { name: string; id: string | null } | undefined) =>
        this.session.call((t) =>
          listFileVersions(t, {
            bucketId,
            prefix: fileName,
            startFileName: cursor?.name ?? fileName,
            startFileId: cursor?.id ?? undefined,
            maxFileCount: Math.min(1000, limit),
          }),
        ),
      (page: B2ListFileVersionsWire) => (page.nextFileName === null ? null : { name: page.nextFileName, id: page.nextFileId }),
      (page) => page.files,
    ).pipe(
      takeWhile((w) => w.fileName === fileName),
      take(limit),
      map((w) => this.file(w)),
    );
  }
}
