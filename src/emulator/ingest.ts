/**
 * Receives an upload body into the blob store as it arrives: never held whole in memory, SHA-1
 * checked once on the way through (https://www.backblaze.com/apidocs/b2-upload-file `X-Bz-Content-Sha1`), nothing stored unless the
 * whole body arrived and verified.
 */
import { createHash } from 'node:crypto';
import type { BlobStore } from './store/store';
import type { Segment } from './model';
import { fail } from './errors';

export interface ReceivedBody {
  segment: Segment;
  /** What to store as contentSha1: 40 hex, or `unverified:<hex>` for do_not_verify. */
  contentSha1: string;
  contentMd5: string | null;
  length: number;
}

export interface BodyExpectation {
  contentLength: number;
  /** The `X-Bz-Content-Sha1` header as sent. */
  sha1Header: string;
  /** Compute MD5 only up to this many content bytes (see EngineConfig.md5Limit). */
  md5Limit: number;
  /** Largest content length allowed (after removing a trailing SHA-1). */
  maxLength: number;
}

const HEX40 = /^[0-9a-fA-F]{40}$/;

/** Checks the SHA-1 header and sizes before any byte is read; returns the content length. */
export function checkBodyHeaders(e: BodyExpectation): number {
  const mode = e.sha1Header;
  if (mode !== 'hex_digits_at_end' && mode !== 'do_not_verify' && !HEX40.test(mode)) {
    throw fail.badRequest(`X-Bz-Content-Sha1 must be 40 hex digits, hex_digits_at_end or do_not_verify`);
  }
  const length = mode === 'hex_digits_at_end' ? e.contentLength - 40 : e.contentLength;
  if (length < 0) throw fail.badRequest('Content-Length is too small to hold the trailing SHA-1 (hex_digits_at_end)');
  if (length > e.maxLength) throw fail.badRequest(`content is too large: ${length} bytes (at most ${e.maxLength})`);
  return length;
}

export async function receiveBody(body: AsyncIterable<Buffer>, blobs: BlobStore, e: BodyExpectation): Promise<ReceivedBody> {
  const contentEnd = checkBodyHeaders(e);
  const sha1 = createHash('sha1');
  const md5 = contentEnd <= e.md5Limit ? createHash('md5') : null;
  const trailer = Buffer.alloc(e.contentLength - contentEnd);
  const writer = blobs.create();
  let position = 0;
  try {
    for await (const chunk of body) {
      const contentPart = position < contentEnd ? chunk.subarray(0, Math.min(chunk.length, contentEnd - position)) : chunk.subarray(0, 0);
      if (contentPart.length > 0) {
        sha1.update(contentPart);
        md5?.update(contentPart);
        await writer.write(contentPart);
      }
      if (contentPart.length < chunk.length) {
        // The trailing 40 hex digits of a hex_digits_at_end body.
        chunk.copy(trailer, position + contentPart.length - contentEnd, contentPart.length);
      }
      position += chunk.length;
    }
    if (position !== e.contentLength) {
      throw fail.badRequest(`body ended after ${position} of ${e.contentLength} bytes (Content-Length)`);
    }
    const actual = sha1.digest('hex');
    let contentSha1 = actual;
    if (e.sha1Header === 'do_not_verify') contentSha1 = `unverified:${actual}`;
    else {
      const expected = e.sha1Header === 'hex_digits_at_end' ? trailer.toString('latin1') : e.sha1Header;
      if (!HEX40.test(expected)) throw fail.badRequest('the last 40 bytes of the body are not a hex SHA-1 (hex_digits_at_end)');
      if (expected.toLowerCase() !== actual) throw fail.badRequest(`Sha1 did not match data received: expected ${expected.toLowerCase()}, got ${actual}`);
    }
    const blobId = await writer.commit();
    return { segment: { blobId, offset: 0, length: contentEnd }, contentSha1, contentMd5: md5?.digest('hex') ?? null, length: contentEnd };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
