import { B2Error } from '../../src/http/b2-error';
import { MAX_LARGE_FILE_SIZE, MAX_PART_SIZE, MAX_PARTS, choosePartSize, planParts, type PartDescriptor } from '../../src/transfer/part-plan';

const MB = 1_000_000;
const GB = 1_000_000_000;
/** B2's usual account limits: 100 MB recommended, 5 MB absolute minimum. */
const limits = { recommendedPartSize: 100 * MB, absoluteMinimumPartSize: 5 * MB };

/** The error `fn` throws (failing the spec when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  fail('expected an error');
  return undefined;
}

function expectInvalid(fn: () => unknown, field: string): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(B2Error);
  expect(e).toEqual(jasmine.objectContaining({ status: 0, code: 'invalid_argument', field }));
  expect((e as B2Error).message).toMatch(new RegExp(`^${field}: `));
}

/** Parts tile [0, size): numbered 1..N, contiguous, all `partSize` long except a shorter last one. */
function expectTiling(size: number, partSize: number, parts: PartDescriptor[]): void {
  let offset = 0;
  parts.forEach((p, i) => {
    expect(p.partNumber)
      .withContext(`part ${i + 1}`)
      .toBe(i + 1);
    expect(p.offset)
      .withContext(`offset of part ${i + 1}`)
      .toBe(offset);
    if (i < parts.length - 1)
      expect(p.length)
        .withContext(`length of part ${i + 1}`)
        .toBe(partSize);
    else expect(p.length).withContext('last part').toBeGreaterThan(0);
    expect(p.length).toBeLessThanOrEqual(partSize);
    offset += p.length;
  });
  expect(offset).withContext('bytes covered').toBe(size);
  expect(parts.length).toBe(Math.ceil(size / partSize));
}

describe('choosePartSize', () => {
  it('defaults to the recommended part size', () => {
    expect(choosePartSize(GB, limits)).toBe(100 * MB);
  });

  it('defaults to the recommended part size for a source of unknown size', () => {
    expect(choosePartSize(undefined, limits)).toBe(100 * MB);
  });

  it('uses a requested part size between the minimum and 5 GB', () => {
    expect(choosePartSize(GB, limits, 5 * MB)).toBe(5 * MB);
    expect(choosePartSize(GB, limits, 7 * MB)).toBe(7 * MB);
    expect(choosePartSize(GB, limits, MAX_PART_SIZE)).toBe(MAX_PART_SIZE);
    expect(choosePartSize(undefined, limits, 6 * MB)).toBe(6 * MB);
  });

  it('never goes below absoluteMinimumPartSize, even when the recommended size is smaller', () => {
    const odd = { recommendedPartSize: MB, absoluteMinimumPartSize: 5 * MB };
    expect(choosePartSize(10 * MB, odd)).toBe(5 * MB);
    expect(choosePartSize(undefined, odd)).toBe(5 * MB);
  });

  it('never goes above 5 GB, even when the recommended size is larger', () => {
    expect(choosePartSize(undefined, { recommendedPartSize: 6 * GB, absoluteMinimumPartSize: 5 * MB })).toBe(MAX_PART_SIZE);
  });

  it('grows the parts so the file fits in 10,000 of them', () => {
    // 10^12 bytes in 10^8-byte parts is exactly 10,000 parts: no growth needed.
    expect(choosePartSize(1e12, limits)).toBe(Math.ceil(1e12 / 1e4));
    // One byte more needs a bigger part: ceil((10^12 + 1) / 10^4).
    expect(choosePartSize(1e12 + 1, limits)).toBe(100 * MB + 1);
    expect(planParts(1e12 + 1, choosePartSize(1e12 + 1, limits)).parts.length).toBe(MAX_PARTS);
    // The largest file B2 takes (10 TB) needs 1 GB parts.
    expect(choosePartSize(MAX_LARGE_FILE_SIZE, limits)).toBe(GB);
    expect(planParts(MAX_LARGE_FILE_SIZE, GB).parts.length).toBe(MAX_PARTS);
  });

  it('grows a requested part size too when the file would need more than 10,000 parts', () => {
    expect(choosePartSize(1e12, limits, 5 * MB)).toBe(100 * MB);
  });

  it('rejects a requested part size below absoluteMinimumPartSize as invalid_argument on partSize', () => {
    expectInvalid(() => choosePartSize(GB, limits, 5 * MB - 1), 'partSize');
    expectInvalid(() => choosePartSize(undefined, limits, 0), 'partSize');
    expectInvalid(() => choosePartSize(GB, limits, -1), 'partSize');
  });

  it('rejects a requested part size above 5 GB, or not a whole number, as invalid_argument on partSize', () => {
    expectInvalid(() => choosePartSize(10 * GB, limits, MAX_PART_SIZE + 1), 'partSize');
    expectInvalid(() => choosePartSize(GB, limits, 5.5 * MB + 0.5), 'partSize');
    expectInvalid(() => choosePartSize(GB, limits, Number.NaN), 'partSize');
  });

  it('rejects a file larger than 10 TB as invalid_argument on contents', () => {
    expect(choosePartSize(MAX_LARGE_FILE_SIZE, limits)).toBe(GB);
    expectInvalid(() => choosePartSize(MAX_LARGE_FILE_SIZE + 1, limits), 'contents');
    expectInvalid(() => choosePartSize(MAX_LARGE_FILE_SIZE + 1, limits, MAX_PART_SIZE), 'contents');
  });
});

describe('planParts', () => {
  it('cuts the file into contiguous parts numbered from 1, the last one shorter', () => {
    expect(planParts(25, 10)).toEqual({
      partSize: 10,
      parts: [
        { partNumber: 1, offset: 0, length: 10 },
        { partNumber: 2, offset: 10, length: 10 },
        { partNumber: 3, offset: 20, length: 5 },
      ],
    });
  });

  it('makes every part full when the size is a multiple of the part size', () => {
    expect(planParts(30, 10).parts).toEqual([
      { partNumber: 1, offset: 0, length: 10 },
      { partNumber: 2, offset: 10, length: 10 },
      { partNumber: 3, offset: 20, length: 10 },
    ]);
  });

  it('makes one part of the whole file when it is smaller than a part', () => {
    expect(planParts(7, 10).parts).toEqual([{ partNumber: 1, offset: 0, length: 7 }]);
  });

  it('covers [0, size) exactly for many sizes and part sizes', () => {
    for (const partSize of [1, 3, 10, 5 * MB]) {
      for (const size of [1, 2, partSize - 1, partSize, partSize + 1, 3 * partSize - 1, 3 * partSize, 3 * partSize + 1, 7 * partSize + 3]) {
        if (size < 1) continue;
        expectTiling(size, partSize, planParts(size, partSize).parts);
      }
    }
  });

  it('plans a realistic file: 1 GB + 1 byte in 100 MB parts is ten full parts and one byte', () => {
    const { parts } = planParts(GB + 1, 100 * MB);
    expect(parts.length).toBe(11);
    expect(parts[10]).toEqual({ partNumber: 11, offset: GB, length: 1 });
    expectTiling(GB + 1, 100 * MB, parts);
  });

  it('plans one empty part for an empty file', () => {
    expect(planParts(0, 10)).toEqual({ partSize: 10, parts: [{ partNumber: 1, offset: 0, length: 0 }] });
  });

  it('allows exactly 10,000 parts and rejects more as invalid_argument on partSize', () => {
    expect(planParts(MAX_PARTS, 1).parts.length).toBe(MAX_PARTS);
    expectInvalid(() => planParts(MAX_PARTS + 1, 1), 'partSize');
  });

  it('rejects a negative or fractional size as invalid_argument on contents', () => {
    expectInvalid(() => planParts(-1, 10), 'contents');
    expectInvalid(() => planParts(2.5, 10), 'contents');
    expectInvalid(() => planParts(Number.NaN, 10), 'contents');
  });

  it('rejects a part size that is not a positive whole number (e.g. from a hand-edited checkpoint) instead of looping', () => {
    expectInvalid(() => planParts(25, 0), 'partSize');
    expectInvalid(() => planParts(25, -10), 'partSize');
    expectInvalid(() => planParts(25, 2.5), 'partSize');
    expectInvalid(() => planParts(25, Number.NaN), 'partSize');
    // A checkpoint read back from JSON that someone edited by hand.
    expectInvalid(() => planParts(25, '10' as unknown as number), 'partSize');
  });

  it('rejects a plan of more than 10,000 parts before building it', () => {
    // 10 TB in 1-byte parts would be 10^13 descriptors: the check must come first.
    expectInvalid(() => planParts(MAX_LARGE_FILE_SIZE, 1), 'partSize');
  });
});
