/**
 * The one seam to the network: `B2Transport.request(req)` returns a cold Observable of events.
 * Subscribing sends; unsubscribing before the end aborts the request.
 */
import type { Observable } from 'rxjs';
import type { B2Event } from './events';

/** A raw upload's body, as the transport sends it: opened again for each attempt. */
export interface B2UploadBody {
  /** Exact byte count (becomes Content-Length). */
  length: number;
  /**
   * Opens the bytes; called once per attempt. The transport pulls chunk n only once every chunk
   * before n - 1 was written out (backpressure, at most one chunk buffered), so a body may reuse
   * the memory of chunks that old (upload-source.ts reads file parts into a small ring).
   */
  open(): AsyncIterable<Uint8Array>;
  /** Counts content bytes as they are pulled by the transport (progress). */
  onProgress?: (loaded: number) => void;
  /** The whole body, when it is small and already in memory: sent in one write, no stream. */
  bytes?: Uint8Array;
}

/** One HTTP request to B2, as the transport sends it. */
export interface B2HttpRequest {
  /** The HTTP method. */
  method: 'GET' | 'POST' | 'HEAD';
  /** The whole URL, query included. */
  url: string;
  /** The B2 call, for error messages (`b2_list_file_names`). */
  operation: string;
  /** Request headers (`Authorization`, `X-Bz-*`…). */
  headers?: Record<string, string>;
  /** A JSON body (POST). */
  json?: unknown;
  /** A raw upload body (POST). */
  body?: B2UploadBody;
  /** `json` (default) parses the body; `stream` hands over the body unread for downloads. */
  responseType?: 'json' | 'stream';
  /** Attempt number, echoed in the `sent` event. */
  attempt?: number;
}

/**
 * What sends rxb2's requests: `AxiosTransport` unless you pass your own (`B2Options.transport`), for
 * tests or another HTTP library.
 */
export interface B2Transport {
  /**
   * Emits `sent`, then `uploadProgress` (raw uploads), `responseHeader`, and `response` last with
   * the parsed JSON, or the unread stream for `responseType: 'stream'`. Errors are `B2Error`s.
   * Cold: nothing is sent before subscribing; completes after `response`; unsubscribing before
   * then aborts the request (and destroys a streamed body not read yet).
   */
  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>>;
}
