/**
 * TEMPORARY, until the raw-API seam's implementation (`sessionApi` in src/session/session-api.ts)
 * is merged: the one B2Api method the download pipelines call, over the session, sending exactly
 * what the download pipeline sent before it moved onto the seam. Replace every use with
 * `sessionApi(session)` (and `downloadDepsOf` with the context's TransferDeps), then delete this file.
 */
import { asyncScheduler, switchMap, type Observable } from 'rxjs';
import type { B2Authorization } from '../api/account';
import type { B2Api, B2DownloadRequest } from '../api/b2-api';
import { downloadFile } from '../api/transfers';
import type { B2Event } from '../http/events';
import { retryB2 } from '../operators/retry-b2';
import type { B2Session } from '../session/session';
import type { DownloadDeps } from '../transfer/download';
import type { ClientContext } from './context';

/** b2_download_file_by_id / _by_name over `session`: `sent` per attempt, then `response` with the body unread; retried by B2's rules until the headers arrive. */
export function downloadApiOf(session: B2Session): Pick<B2Api, 'downloadFile'> {
  return {
    downloadFile(req: B2DownloadRequest): Observable<B2Event<unknown, unknown>> {
      let attempt = 0;
      const attemptWith = (auth: B2Authorization) => {
        attempt++;
        const target = { transport: session.transport, downloadUrl: auth.downloadUrl, authorizationToken: req.authorizationToken ?? auth.authorizationToken };
        return downloadFile(target, req.by, req.headers, 'GET', attempt);
      };
      // With a download-authorization token, an expired token is that token's: the account's
      // authorization stays, and re-authorizing would not help.
      return req.authorizationToken
        ? session.authorization().pipe(switchMap(attemptWith), retryB2<B2Event<unknown, unknown>>(session.retryOptions))
        : session.call((_t, auth) => attemptWith(auth));
    },
  };
}

/** The download pipelines' dependencies, from the resources' context (temporary, see above). */
export function downloadDepsOf(ctx: ClientContext): DownloadDeps {
  return { api: downloadApiOf(ctx.session), retry: ctx.retry, progressIntervalMs: ctx.progressIntervalMs, scheduler: ctx.retry.scheduler ?? asyncScheduler };
}
