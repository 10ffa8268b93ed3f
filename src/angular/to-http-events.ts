/** `toHttpEvents()`: rxb2's events as Angular's `HttpEvent` union, for code written for HttpClient. */
import { HttpErrorResponse, HttpEventType, HttpHeaderResponse, HttpHeaders, HttpResponse, type HttpEvent, type HttpUserEvent } from '@angular/common/http';
import { catchError, map, throwError, type OperatorFunction } from 'rxjs';
// Only the public face of rxb2 (src/index.ts), as an application would.
import { B2Error, type B2Event, type B2LargeFileStartedEvent, type B2PartUploadedEvent } from '../index';

/** A large upload's own events (`largeFileStarted`, `partUploaded`), carried as Angular's `User` event. */
export type B2HttpUserEvent<T> = HttpUserEvent<T> & {
  /** The rxb2 event itself. */
  b2: B2LargeFileStartedEvent | B2PartUploadedEvent;
};

/**
 * Turns rxb2's events (string `type`s) into Angular's `HttpEvent<T>` (numeric `HttpEventType`):
 * `sent` → `{ type: Sent }` (one per attempt), `uploadProgress` / `downloadProgress` →
 * `{ type: UploadProgress | DownloadProgress, loaded, total }`, `responseHeader` →
 * `HttpHeaderResponse`, `response` → `HttpResponse<T>` with the body (the `B2File`, the file's
 * fields, or a download's result), and a large upload's `largeFileStarted` / `partUploaded` →
 * `{ type: User, b2: event }`. Emits one HttpEvent per rxb2 event, in order; completes when the
 * source does. A `B2Error` becomes an `HttpErrorResponse` with that status, `statusText` the B2
 * code, and the `B2Error` as its `error`; other errors pass unchanged. Unsubscribing unsubscribes
 * from the source (the transfer is aborted).
 *
 * @example
 * bucket.uploadFile({ contents: file, fileName: file.name }).pipe(toHttpEvents()).subscribe((event) => {
 *   if (event.type === HttpEventType.UploadProgress) this.percent = Math.round((100 * event.loaded) / (event.total ?? 1));
 *   if (event instanceof HttpResponse) this.uploaded = event.body;
 * });
 */
export function toHttpEvents<T>(): OperatorFunction<B2Event<T, unknown> | B2LargeFileStartedEvent | B2PartUploadedEvent, HttpEvent<T>> {
  return (source) =>
    source.pipe(
      map((event): HttpEvent<T> => {
        switch (event.type) {
          case 'sent':
            return { type: HttpEventType.Sent };
          case 'uploadProgress':
            return { type: HttpEventType.UploadProgress, loaded: event.loaded, total: event.total };
          case 'downloadProgress':
            return { type: HttpEventType.DownloadProgress, loaded: event.loaded, total: event.total };
          case 'responseHeader':
            return new HttpHeaderResponse({ headers: new HttpHeaders(event.headers), status: event.status, statusText: 'OK' });
          case 'response':
            return new HttpResponse<T>({ body: event.body, headers: new HttpHeaders(event.headers), status: event.status, statusText: 'OK' });
          default: {
            const user: B2HttpUserEvent<T> = { type: HttpEventType.User, b2: event };
            return user;
          }
        }
      }),
      catchError((err: unknown) => throwError(() => (err instanceof B2Error ? new HttpErrorResponse({ error: err, status: err.status, statusText: err.code }) : err))),
    );
}
