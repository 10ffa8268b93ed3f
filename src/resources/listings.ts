/**
 * A bucket's listings as streams of file versions, page after page
 * (https://www.backblaze.com/apidocs/b2-list-file-names, https://www.backblaze.com/apidocs/b2-list-file-versions).
 */
import type { Observable } from 'rxjs';
import type { B2Api } from '../api/b2-api';
import type { ListFileNamesRequest, ListFileVersionsRequest } from '../api/files';
import type { B2FileWire, B2ListFileNamesWire, B2ListFileVersionsWire } from '../api/wire';
import { paginate } from '../operators/paginate';

/**
 * Every version matching a listing request, page after page (cursor: next file name and id),
 * `pageSize` per page; with a `limit`, each page asks only for what is left. With `demand`, pages
 * are pulled (see `paginate`). Cold; completes after the last page; errors with the call's
 * `B2Error`; unsubscribing stops further pages and aborts the one in flight.
 */
export function versions(
  api: B2Api,
  request: Omit<ListFileVersionsRequest, 'startFileId' | 'maxFileCount'>,
  pageSize: number,
  limit?: number,
  demand?: Observable<unknown>,
): Observable<B2FileWire> {
  return paginate(
    (cursor: { name: string; id: string | null } | undefined, soFar) =>
      api.listFileVersions({
        ...request,
        maxFileCount: pageFor(pageSize, limit, soFar),
        startFileName: cursor?.name ?? request.startFileName,
        startFileId: cursor?.id ?? undefined,
      }),
    (page: B2ListFileVersionsWire) => (page.nextFileName === null ? null : { name: page.nextFileName, id: page.nextFileId }),
    (page) => page.files,
    demand,
  );
}

/** The current file names matching a listing request, as `versions` pages them (cursor: next file name). */
export function names(api: B2Api, request: Omit<ListFileNamesRequest, 'maxFileCount'>, pageSize: number, limit?: number, demand?: Observable<unknown>): Observable<B2FileWire> {
  return paginate(
    (cursor: string | undefined, soFar) => api.listFileNames({ ...request, maxFileCount: pageFor(pageSize, limit, soFar), startFileName: cursor ?? request.startFileName }),
    (page: B2ListFileNamesWire) => page.nextFileName,
    (page) => page.files,
    demand,
  );
}

/**
 * Files to ask for in the next page: the page size, or fewer when a limit leaves fewer to fetch
 * (B2 reads and sends as many files as maxFileCount asks for).
 */
export function pageFor(pageSize: number, limit: number | undefined, soFar: number): number {
  return limit === undefined ? pageSize : Math.max(1, Math.min(pageSize, limit - soFar));
}
