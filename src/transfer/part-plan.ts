/**
 * Planning a large file's parts (https://www.backblaze.com/docs/cloud-storage-create-large-files-with-the-native-api): the part size starts at the requested or
 * recommended size, never below the absolute minimum (except the last part), grows when the file
 * would need more than 10,000 parts, and never exceeds 5 GB. An impossible plan is an
 * `invalid_argument` before any request.
 */
import { invalidArgument } from '../http/b2-error';

/** B2's largest part, and its largest small file (one b2_upload_file request). */
export const MAX_PART_SIZE = 5_000_000_000;
/** B2's recommended part size in production: where no account tells it, files above it go up as large files. */
export const RECOMMENDED_PART_SIZE = 100_000_000;
export const MAX_PARTS = 10_000;
export const MAX_LARGE_FILE_SIZE = 10_000_000_000_000;

/** One part to send: small descriptors flow through `mergeMap`; bytes are read inside each part. */
export interface PartDescriptor {
  partNumber: number;
  offset: number;
  length: number;
}

export interface PartPlan {
  partSize: number;
  parts: PartDescriptor[];
}

export interface PartSizeLimits {
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
}

/** The part size for a file of `size` bytes (or of unknown size when undefined). */
export function choosePartSize(size: number | undefined, limits: PartSizeLimits, requested?: number): number {
  if (requested !== undefined) {
    if (!Number.isSafeInteger(requested) || requested < limits.absoluteMinimumPartSize || requested > MAX_PART_SIZE) {
      throw invalidArgument('partSize', `must be a whole number from ${limits.absoluteMinimumPartSize} (the account's absoluteMinimumPartSize) to ${MAX_PART_SIZE}`);
    }
  }
  let partSize = Math.max(requested ?? limits.recommendedPartSize, limits.absoluteMinimumPartSize);
  if (size !== undefined) {
    if (size > MAX_LARGE_FILE_SIZE) throw invalidArgument('contents', `is ${size} bytes; B2's largest file is ${MAX_LARGE_FILE_SIZE} bytes`);
    // Grow the parts so the file fits in 10,000 of them.
    partSize = Math.max(partSize, Math.ceil(size / MAX_PARTS));
    if (partSize > MAX_PART_SIZE) throw invalidArgument('contents', `needs parts larger than ${MAX_PART_SIZE} bytes`);
  }
  return Math.min(partSize, MAX_PART_SIZE);
}

/** Every part of a file of known size; the last one may be shorter. */
export function planParts(size: number, partSize: number): PartPlan {
  if (!Number.isSafeInteger(size) || size < 0) throw invalidArgument('contents', 'size must be a whole number of bytes');
  if (!Number.isSafeInteger(partSize) || partSize < 1) throw invalidArgument('partSize', 'must be a positive whole number of bytes');
  const count = Math.max(1, Math.ceil(size / partSize));
  // Counted before building: a tiny part size for a huge file must fail, not fill memory.
  if (count > MAX_PARTS) throw invalidArgument('partSize', `${partSize} makes ${count} parts; B2 allows ${MAX_PARTS}`);
  const parts: PartDescriptor[] = [];
  for (let i = 0; i < count; i++) {
    const offset = i * partSize;
    parts.push({ partNumber: i + 1, offset, length: Math.min(partSize, size - offset) });
  }
  return { partSize, parts };
}
