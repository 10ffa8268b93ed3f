/**
 * The events of one B2 operation, shaped like Angular's `HttpEvent`: `sent` (with the attempt
 * number), `uploadProgress`, `responseHeader`, `downloadProgress`, and `response` always last.
 */

export interface B2SentEvent {
  type: 'sent';
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
}

export interface B2UploadProgressEvent {
  type: 'uploadProgress';
  /** Bytes of content sent so far (never decreases across retries). */
  loaded: number;
  /** Total content bytes, when known. */
  total: number | undefined;
}

export interface B2ResponseHeaderEvent<S = never> {
  type: 'responseHeader';
  status: number;
  headers: Record<string, string>;
  /** For streamed downloads: the body, to be consumed by the subscriber. */
  body?: S;
}

export interface B2DownloadProgressEvent {
  type: 'downloadProgress';
  loaded: number;
  total: number | undefined;
}

export interface B2ResponseEvent<T> {
  type: 'response';
  status: number;
  headers: Record<string, string>;
  body: T;
}

export type B2Event<T, S = never> = B2SentEvent | B2UploadProgressEvent | B2ResponseHeaderEvent<S> | B2DownloadProgressEvent | B2ResponseEvent<T>;

export type B2ProgressEvent = B2UploadProgressEvent | B2DownloadProgressEvent;

export const isResponse = <T, S>(event: B2Event<T, S>): event is B2ResponseEvent<T> => event.type === 'response';
/** Whether an event (of any of rxb2's event unions) is `uploadProgress` or `downloadProgress`. */
export const isProgress = <E extends { type: string }>(event: E): event is E & B2ProgressEvent => event.type === 'uploadProgress' || event.type === 'downloadProgress';
