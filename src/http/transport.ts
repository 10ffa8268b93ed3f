/**
 * The one seam to the network: `B2Transport.request(req)` returns a cold Observable of events.
 * Subscribing sends; unsubscribing before the end aborts the request.
 */
import type { Observable } from 'rxjs';
import type { B2Event } from './events';

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

export interface B2HttpRequest {
  method: 'GET' | 'POST' | 'HEAD';
  url: string;
  /** The B2 call, for error messages (`b2_list_file_names`). */
  operation: string;
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

export interface B2Transport {
  /**
   * Emits `sent`, then `uploadProgress` (raw uploads), `responseHeader`, and `response` last with
   * the parsed JSON, or the unread stream for `responseType: 'stream'`. Errors are `B2Error`s.
   */
  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>>;
}
