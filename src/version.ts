/** rxb2's version: package.json's, written here by .ci/write-version.mjs at build time. */
export const VERSION = '0.1.0';
