/** A file's bytes as segments of blobs: range reads and slices shared by downloads and copies. */
import type { Segment } from './model';
import type { BlobStore } from './store/store';

/** The segments covering [start, start+length) of a file made of `segments`. */
export function sliceSegments(segments: readonly Segment[], start: number, length: number): Segment[] {
  const out: Segment[] = [];
  let position = 0;
  let remaining = length;
  for (const s of segments) {
    if (remaining <= 0) break;
    const end = position + s.length;
    if (end > start) {
      const from = Math.max(0, start - position);
      const take = Math.min(s.length - from, remaining);
      out.push({ blobId: s.blobId, offset: s.offset + from, length: take });
      remaining -= take;
    }
    position = end;
  }
  return out;
}

/** Streams the bytes of the given segments in order. */
export async function* readSegments(blobs: BlobStore, segments: readonly Segment[]): AsyncGenerator<Buffer> {
  for (const s of segments) {
    if (s.length === 0) continue;
    yield* blobs.read(s.blobId, s.offset, s.length) as AsyncIterable<Buffer>;
  }
}

/** Parses `bytes=a-b` (inclusive) for copies; absent → the whole file. */
export function parseCopyRange(range: string | undefined, size: number): { start: number; length: number } | 'invalid' {
  if (range === undefined) return { start: 0, length: size };
  const m = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || start >= size) return 'invalid';
  return { start, length: Math.min(end, size - 1) - start + 1 };
}
