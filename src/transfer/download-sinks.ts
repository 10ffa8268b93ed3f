/**
 * Consumers of a download's body stream: into memory, or into a file (written under a temporary
 * name and renamed at the end). Both keep the download's events and put the result in `response`.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { B2Error, isOsError, localIoError } from '../http/b2-error';
import type { B2Event } from '../http/events';
import { platform } from '../platform';
import type { B2ByteStream, B2DownloadEvent, B2DownloadResult } from './download';

/**
 * Reads the body into one `Uint8Array` (a Buffer in Node).
 * Emits the download's events (`responseHeader` without its body) with `response.body` =
 * `{ ...result, data }`, and completes after it; errors as the download does. Unsubscribing
 * unsubscribes from the download (which aborts it).
 */
export function intoBuffer(): OperatorFunction<
  B2DownloadEvent,
  B2Event<
    B2DownloadResult & {
      /** The whole body (a Buffer in Node). */
      data: Uint8Array;
    }
  >
> {
  return consumeBody(async (body) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
    }
    const data = platform.concat(chunks, size);
    return { data };
  });
}

/**
 * Streams the body into `path` (Node); `response.body` = `{ ...result, path }`. Written under a
 * temporary name in the same folder and renamed at the end: a failure leaves nothing behind. A
 * local failure (full disk, missing folder, no permission) errors with a B2Error `local_io_error`
 * whose `osCode` is the system's code and whose `path` is `path`; a failed download errors as it
 * does. Completes after `response`, once the file is in place. Unsubscribing unsubscribes from the
 * download (which aborts it and ends the body): the temporary file is removed.
 */
export function intoFile(path: string): OperatorFunction<
  B2DownloadEvent,
  B2Event<
    B2DownloadResult & {
      /** The path written, as given. */
      path: string;
    }
  >
> {
  return consumeBody(async (body) => {
    try {
      await platform.writeFileAtomically(path, body);
    } catch (err) {
      throw isOsError(err) ? localIoError(err, path, 'cannot write') : err;
    }
    return { path };
  });
}

function consumeBody<X extends object>(sink: (body: B2ByteStream) => Promise<X>): OperatorFunction<B2DownloadEvent, B2Event<B2DownloadResult & X>> {
  return (source) =>
    new Observable((subscriber) => {
      let consumed: Promise<X> | undefined;
      let sourceFailed = false;
      const sub = source.subscribe({
        next(event) {
          if (event.type === 'responseHeader' && event.body) {
            const { body, ...header } = event;
            consumed = sink(body);
            // A sink failure that is not also a download failure (disk full) ends the download;
            // when the download failed, its error is the one to report (below).
            consumed.catch((err) => {
              if (!sourceFailed) subscriber.error(err);
            });
            subscriber.next(header);
          } else if (event.type === 'response') {
            consumed!.then(
              (extra) => {
                subscriber.next({ ...event, body: { ...event.body, ...extra } });
                subscriber.complete();
              },
              () => undefined,
            );
          } else {
            subscriber.next(event as B2Event<B2DownloadResult & X>);
          }
        },
        // Let the sink settle first (a file sink removes its temporary file), then report. A
        // local failure of the sink is the cause when both failed: a full disk makes the sink
        // abandon the body, which then ends the download with an AbortError.
        error: (err) => {
          sourceFailed = true;
          if (consumed)
            consumed.then(
              () => subscriber.error(err),
              (sinkError) => subscriber.error(isLocalIoError(sinkError) ? sinkError : err),
            );
          else subscriber.error(err);
        },
        // Completion is signalled after the sink finished (above).
        complete: () => undefined,
      });
      return sub;
    });
}

function isLocalIoError(err: unknown): boolean {
  return err instanceof B2Error && err.code === 'local_io_error';
}
