/**
 * Percent-encoding of file names and info values on the wire (https://www.backblaze.com/docs/cloud-storage-native-api-string-encoding), shared by the
 * client and the emulator: every UTF-8 byte except `A–Z a–z 0–9 - . _ ~ /` becomes `%XX`
 * (upper-case hex; spaces as `%20`, never `+`).
 */
const UNRESERVED = /^[A-Za-z0-9\-._~/]$/;
const ALL_UNRESERVED = /^[A-Za-z0-9\-._~/]*$/;
const utf8 = new TextEncoder();

export function percentEncode(value: string): string {
  // Most names need no escape at all: one test instead of one per character.
  if (ALL_UNRESERVED.test(value)) return value;
  let out = '';
  for (const ch of value) {
    if (UNRESERVED.test(ch)) out += ch;
    else for (const byte of utf8.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decodes a header value B2 sent: `%XX` and `+` → space (as b2sdk's unquote_plus). */
export function percentDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}
