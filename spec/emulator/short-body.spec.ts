import * as net from 'node:net';
import * as b2 from '../helpers/b2-http';

/**
 * Sends `head` + `body` on a raw socket, then half-closes (FIN) and collects everything the server
 * sends until it closes. Resolves with the raw reply (empty when the server answered nothing).
 */
function sendThenHalfClose(baseUrl: string, head: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(baseUrl);
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(head);
    socket.end(body);
  });
}

function parseReply(raw: string): { status: number; headers: string; json: any } {
  const sep = raw.indexOf('\r\n\r\n');
  expect(sep)
    .withContext(`a complete HTTP answer, got ${JSON.stringify(raw)}`)
    .toBeGreaterThan(0);
  return { status: Number(raw.split(' ')[1]), headers: raw.slice(0, sep), json: JSON.parse(raw.slice(sep + 4)) };
}

describe('emu-http a body shorter than its Content-Length, then the client half-closes', () => {
  const fx = b2.useEmulator({ bucket: true });

  it('a JSON call gets 400 bad_request (B2 JSON), not a silent close', async () => {
    const body = Buffer.from(JSON.stringify({ accountId: fx.auth.accountId }));
    const raw = await sendThenHalfClose(
      fx.emu.url,
      `POST /b2api/v3/b2_list_buckets HTTP/1.1\r\nHost: x\r\nAuthorization: ${fx.auth.token}\r\nContent-Length: ${body.length + 50}\r\n\r\n`,
      body,
    );
    const reply = parseReply(raw);
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ status: 400, code: 'bad_request', message: jasmine.stringMatching(/Content-Length/) });
  });

  it('an upload gets 400 bad_request and stores nothing; the next upload on the same URL works', async () => {
    const up = await b2.getUploadUrl(fx.auth, fx.bucket.bucketId);
    const data = Buffer.alloc(3000, 7);
    const u = new URL(up.uploadUrl);
    const raw = await sendThenHalfClose(
      fx.emu.url,
      `POST ${u.pathname} HTTP/1.1\r\nHost: x\r\nAuthorization: ${up.authorizationToken}\r\nX-Bz-File-Name: short/body.bin\r\n` +
        `Content-Type: b2/x-auto\r\nX-Bz-Content-Sha1: ${b2.sha1hex(data)}\r\nContent-Length: ${data.length + 1000}\r\n\r\n`,
      data,
    );
    const reply = parseReply(raw);
    expect(reply.status).toBe(400);
    expect(reply.json.code).toBe('bad_request');
    const versions = b2.expectOk(await b2.call(fx.auth, 'b2_list_file_versions', { bucketId: fx.bucket.bucketId, prefix: 'short/' }));
    expect(versions.files).toEqual([]);
    // The same upload URL is free again: the cut upload released its token.
    b2.expectOk(await b2.uploadFile(up, { name: 'short/body.bin', data }));
  });
});
