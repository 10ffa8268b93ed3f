/** Client-side checks of user input, so bad input fails with a typed error before any request. */
import { invalidArgument } from '../http/b2-error';

const utf8 = new TextEncoder();

export function checkFileName(name: unknown, field = 'fileName'): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument(field, 'must be a non-empty string');
  if (utf8.encode(name).length > 1024) throw invalidArgument(field, 'is longer than 1024 bytes of UTF-8');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw invalidArgument(field, `contains the control character 0x${c.toString(16).padStart(2, '0')}`);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw invalidArgument(field, 'contains a lone surrogate (not valid Unicode)');
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) throw invalidArgument(field, 'contains a lone surrogate (not valid Unicode)');
  }
  return name;
}

export function checkBucketName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9-]{6,63}$/.test(name)) {
    throw invalidArgument('bucketName', 'must be 6 to 63 letters, digits or "-"');
  }
  if (/^b2-/i.test(name)) throw invalidArgument('bucketName', 'may not start with "b2-"');
  return name;
}

export function checkFileInfo(info: unknown): Record<string, string> {
  if (info === undefined) return {};
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw invalidArgument('fileInfo', 'must be an object of strings');
  const entries = Object.entries(info as Record<string, unknown>);
  if (entries.length > 10) throw invalidArgument('fileInfo', `has ${entries.length} entries; B2 allows at most 10`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw invalidArgument(`fileInfo.${key}`, 'must be a string');
    if (!/^[A-Za-z0-9\-_.~!#$%^&*'+`|]+$/.test(key)) throw invalidArgument(`fileInfo.${key}`, 'key has characters B2 does not allow');
    if (utf8.encode(key).length > 50) throw invalidArgument(`fileInfo.${key}`, 'key is longer than 50 bytes');
    out[key.toLowerCase()] = value;
  }
  return out;
}

export function checkPositiveInt(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalidArgument(field, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

export function checkContentType(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]+\/[\x20-\x7e]+$/.test(value)) {
    throw invalidArgument('contentType', 'must be a MIME type such as text/plain (or b2/x-auto)');
  }
  return value;
}
