/** Benchmark data on disk: random files written fast, and their SHA-1s. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

const MiB = 1 << 20;

/** Writes `bytes` random bytes in 1 MiB chunks (AES-CTR keystream of a random key); returns the SHA-1. */
export function makeFile(file: string, bytes: number): string {
  const cipher = crypto.createCipheriv('aes-128-ctr', crypto.randomBytes(16), crypto.randomBytes(16));
  const zeros = Buffer.alloc(MiB);
  const hash = crypto.createHash('sha1');
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; done += MiB) {
      const chunk = cipher.update(done + MiB <= bytes ? zeros : zeros.subarray(0, bytes - done));
      hash.update(chunk);
      let written = 0;
      while (written < chunk.length) written += fs.writeSync(fd, chunk, written, chunk.length - written);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function sha1OfFile(file: string): string {
  const hash = crypto.createHash('sha1');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(MiB);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, MiB, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}
