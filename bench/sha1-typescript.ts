/**
 * The SHA-1 in plain TypeScript that src/platform/browser.ts had before it took hash-wasm's
 * (kept verbatim, only renamed and exported): `npm run bench:browser` measures it against the
 * platform's SHA-1 in Chromium. Nothing in src/ uses it.
 */
import type { Sha1 } from '../src/platform/platform';

/** An incremental SHA-1: blocks of 64 bytes, any chunk sizes in between. */
export class TypeScriptSha1 implements Sha1 {
  private readonly state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  private readonly buffer = new Uint8Array(64);
  private buffered = 0;
  private total = 0;
  private readonly w = new Int32Array(80);

  update(bytes: Uint8Array): void {
    let at = 0;
    this.total += bytes.length;
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, bytes.length);
      this.buffer.set(bytes.subarray(0, take), this.buffered);
      this.buffered += take;
      at = take;
      if (this.buffered < 64) return;
      this.block(this.buffer, 0);
      this.buffered = 0;
    }
    for (; at + 64 <= bytes.length; at += 64) this.block(bytes, at);
    if (at < bytes.length) {
      this.buffer.set(bytes.subarray(at), 0);
      this.buffered = bytes.length - at;
    }
  }

  /** Lower-case hex of the bytes so far (the hash itself is left as it was). */
  digest(): string {
    const copy = new TypeScriptSha1();
    copy.state.set(this.state);
    copy.buffer.set(this.buffer);
    copy.buffered = this.buffered;
    copy.total = this.total;
    return copy.finish();
  }

  private finish(): string {
    const total = this.total;
    const padding = new Uint8Array((this.buffered < 56 ? 56 : 120) - this.buffered + 8);
    padding[0] = 0x80;
    // The message length in bits, big-endian, in the last 8 bytes (total < 2^53).
    const view = new DataView(padding.buffer);
    view.setUint32(padding.length - 8, Math.floor(total / 0x20000000));
    view.setUint32(padding.length - 4, (total % 0x20000000) * 8);
    this.update(padding);
    let hex = '';
    for (const word of this.state) hex += (word >>> 0).toString(16).padStart(8, '0');
    return hex;
  }

  private block(bytes: Uint8Array, at: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++, at += 4) w[t] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    const s = this.state;
    let a = s[0],
      b = s[1],
      c = s[2],
      d = s[3],
      e = s[4];
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
  }
}
