/**
 * The transport's axios options in Node: the lean node:http adapter over one pair of keep-alive
 * agents per process (axios' own adapter behind a proxy), bodies as Buffers and Readables.
 * Bundlers swap in `./browser-axios` through package.json's `browser` field.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { AxiosAdapter } from 'axios';
import type { AxiosPlatform } from './axios-platform';
import { createNodeHttpAdapter } from './node-http-adapter';

/** Upload bodies are streamed in 1 MiB chunks, as files are read (the 64 KiB default costs ~45% more CPU per GiB sent). */
const READ_CHUNK = 1 << 20;

let agents: { httpAgent: http.Agent; httpsAgent: https.Agent } | undefined;
let adapter: AxiosAdapter | undefined;

export const axiosPlatform: AxiosPlatform = {
  axiosDefaults(axiosClasses) {
    // One pair of keep-alive agents per process: re-creating agents costs a handshake per request.
    agents ??= {
      httpAgent: new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 256 }),
      httpsAgent: new https.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 256 }),
    };
    // Behind a proxy (the proxy variables set), axios' own adapter, which knows proxies; it sets a
    // 60 s keep-alive delay on every request's socket, which agents with the same value make a
    // no-op. Otherwise the lean node:http adapter: axios' own costs ~100 µs more CPU per small request.
    const proxied = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].some((name) => process.env[name]);
    // Without proxy variables, tell axios so: it would otherwise look them up on every request.
    if (proxied || !axiosClasses) return { ...agents, adapter: 'http', ...(proxied ? {} : { proxy: false }) };
    adapter ??= createNodeHttpAdapter({ ...agents, axios: axiosClasses });
    return { adapter };
  },
  uploadBytes(bytes) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  uploadData(chunks) {
    return Readable.from(chunks, { objectMode: false, highWaterMark: READ_CHUNK });
  },
};
