/**
 * What the transport asks of the platform it runs on: how requests are sent, and request bodies in
 * the form they are sent in. `./node-axios` is Node's (the lean node:http adapter over keep-alive
 * agents, called directly; axios' own adapter behind a proxy); bundlers swap in `./browser-axios`
 * (axios' XHR and fetch adapters) through package.json's `browser` field, so the browser bundle
 * never reaches node:http.
 */
import type { NodeHttpSend } from './node-http-adapter';

export interface AxiosPlatform {
  /**
   * The platform's own sender, called without axios (which is then never loaded): in Node without
   * proxy variables, the lean node:http adapter over keep-alive agents. Undefined in a browser and
   * behind a proxy, where requests go through axios (`axiosDefaults`).
   */
  directSend(): NodeHttpSend | undefined;
  /** Options merged into the axios instance, when requests go through axios: Node's agents and axios' own adapter behind a proxy, XHR in a browser. */
  axiosDefaults(): Record<string, unknown>;
  /** Turns an upload body into what is sent on this platform (a Node Readable, a Blob…). */
  uploadData(chunks: AsyncIterable<Uint8Array>, length: number): unknown;
  /** In-memory bytes as sent (Node: a Buffer view; axios sends a plain view's whole ArrayBuffer). */
  uploadBytes(bytes: Uint8Array): unknown;
}
