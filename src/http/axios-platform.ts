/**
 * What the transport asks of the platform it runs on, for axios alone: the adapter and its options,
 * and request bodies in the form that adapter sends. `./node-axios` is Node's (the lean node:http
 * adapter over keep-alive agents); bundlers swap in `./browser-axios` (XHR and fetch) through
 * package.json's `browser` field, so the browser bundle never reaches node:http.
 */

/** The axios classes an adapter builds its answers and errors with, handed over by the transport (the one module that loads axios). */
export type AxiosClasses = Pick<import('axios').AxiosStatic, 'AxiosError' | 'AxiosHeaders' | 'CanceledError'>;

export interface AxiosPlatform {
  /**
   * Options merged into the axios instance: in Node a lean node:http adapter over keep-alive
   * agents (built with the axios classes it is given), in the browser XHR.
   */
  axiosDefaults(axiosClasses?: AxiosClasses): Record<string, unknown>;
  /** Turns an upload body into what axios sends on this platform (a Node Readable, a Blob…). */
  uploadData(chunks: AsyncIterable<Uint8Array>, length: number): unknown;
  /** In-memory bytes as axios sends them (Node: a Buffer view; axios sends a plain view's whole ArrayBuffer). */
  uploadBytes(bytes: Uint8Array): unknown;
}
