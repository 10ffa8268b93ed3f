/**
 * The transport's platform in a browser: every request through axios, no Node built-ins. Uploads go through XHR (the only
 * browser API with upload progress events) with the body gathered into a Blob; streamed downloads
 * through axios' fetch adapter, which hands over a ReadableStream.
 *
 * Bundlers pick this file instead of `./node-axios` through package.json's `browser` field.
 */
import type { AxiosPlatform } from './axios-platform';

export const axiosPlatform: AxiosPlatform = {
  directSend() {
    // Every request goes through axios (loaded with the first one).
    return undefined;
  },
  axiosDefaults() {
    // XHR: the adapter with upload progress events. The transport sends streamed downloads
    // (responseType "stream") through axios' fetch adapter, which hands over a ReadableStream.
    return { adapter: 'xhr' };
  },
  uploadBytes(bytes) {
    // A Blob of exactly this view (axios would send a plain view's whole ArrayBuffer).
    return new Blob([bytes as Uint8Array<ArrayBuffer>]);
  },
  async uploadData(chunks) {
    // XHR cannot stream a request body: gather it (at most one part, or one small file) into a Blob.
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for await (const chunk of chunks) parts.push(chunk as Uint8Array<ArrayBuffer>);
    return new Blob(parts);
  },
};
