/**
 * The transport's platform in Node: the lean node:http adapter over one pair of keep-alive agents
 * per process, called directly (axios is never loaded), or axios' own adapter behind a proxy;
 * bodies as Buffers and Readables. Bundlers swap in `./browser-axios` through package.json's
 * `browser` field.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { AxiosPlatform } from './axios-platform';
import { createNodeHttpSend, type NodeHttpSend } from './node-http-adapter';

/** Upload bodies are streamed in 1 MiB chunks, as files are read (the 64 KiB default costs ~45% more CPU per GiB sent). */
const READ_CHUNK = 1 << 20;

let agents: { httpAgent: http.Agent; httpsAgent: https.Agent } | undefined;
let send: NodeHttpSend | undefined;

/** One pair of keep-alive agents per process: re-creating agents costs a handshake per request. */
function keepAliveAgents(): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  return (agents ??= {
    httpAgent: new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 256 }),
    httpsAgent: new https.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 256 }),
  });
}

/** Whether the proxy variables are set (read when a transport is made). */
function proxied(): boolean {
  return ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].some((name) => process.env[name]);
}

export const axiosPlatform: AxiosPlatform = {
  directSend() {
    // Behind a proxy, axios' own adapter, which knows proxies. Otherwise the lean node:http
    // adapter, called directly: axios' own costs ~100 µs more CPU per small request, and loading
    // axios (with form-data, mime-db, proxy agents, http2) ~40 ms at start-up.
    if (proxied()) return undefined;
    return (send ??= createNodeHttpSend(keepAliveAgents()));
  },
  axiosDefaults() {
    // Behind a proxy: axios' own adapter sets a 60 s keep-alive delay on every request's socket,
    // which agents with the same value make a no-op.
    return { ...keepAliveAgents(), adapter: 'http' };
  },
  uploadBytes(bytes) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  uploadData(chunks) {
    return Readable.from(chunks, { objectMode: false, highWaterMark: READ_CHUNK });
  },
};
