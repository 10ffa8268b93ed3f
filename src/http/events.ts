/**
 * The events of one B2 operation, shaped like Angular's `HttpEvent`: `sent` (with the attempt
 * number), `uploadProgress`, `responseHeader`, `downloadProgress`, and `response` always last.
 */

/** The request was handed to the network (once per attempt: a retry sends another). */
export interface B2SentEvent {
  /** Always `sent`. */
  type: 'sent';
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
}

/** Bytes of an upload's content sent so far. */
export interface B2UploadProgressEvent {
  /** Always `uploadProgress`. */
  type: 'uploadProgress';
  /** Bytes of content sent so far (never decreases across retries). */
  loaded: number;
  /** Total content bytes, when known. */
  total: number | undefined;
}

/** B2's answer arrived: its status and headers, before the body. */
export interface B2ResponseHeaderEvent<S = never> {
  /** Always `responseHeader`. */
  type: 'responseHeader';
  /** The HTTP status. */
  status: number;
  /** The response headers, names in lower case. */
  headers: Record<string, string>;
  /** For streamed downloads: the body, to be consumed by the subscriber. */
  body?: S;
}

/** Bytes of a download's body received so far. */
export interface B2DownloadProgressEvent {
  /** Always `downloadProgress`. */
  type: 'downloadProgress';
  /** Bytes of the body received so far (never decreases across retries). */
  loaded: number;
  /** Total body bytes, when known (Content-Length). */
  total: number | undefined;
}

/** The operation's result, always the last event. */
export interface B2ResponseEvent<T> {
  /** Always `response`. */
  type: 'response';
  /** The HTTP status. */
  status: number;
  /** The response headers, names in lower case. */
  headers: Record<string, string>;
  /** The result: B2's parsed JSON, or what the operation made of it (an uploaded `B2File`…). */
  body: T;
}

/**
 * Any event of one operation: `sent`, then `uploadProgress`, `responseHeader`, `downloadProgress`
 * as they apply, and `response` last. `T` is the result's type, `S` a streamed body's.
 */
export type B2Event<T, S = never> = B2SentEvent | B2UploadProgressEvent | B2ResponseHeaderEvent<S> | B2DownloadProgressEvent | B2ResponseEvent<T>;

/** A progress event, of an upload or of a download. */
export type B2ProgressEvent = B2UploadProgressEvent | B2DownloadProgressEvent;

/** Whether an event is the `response` (the result, always last). */
export const isResponse = <T, S>(event: B2Event<T, S>): event is B2ResponseEvent<T> => event.type === 'response';
/** Whether an event (of any of rxb2's event unions) is `uploadProgress` or `downloadProgress`. */
export const isProgress = <
  E extends {
    /** The event's kind (`uploadProgress`, `response`…). */
    type: string;
  },
>(
  event: E,
): event is E & B2ProgressEvent => event.type === 'uploadProgress' || event.type === 'downloadProgress';
