/**
 * Writes src/platform/browser-hash-wasm-sha1.ts: hash-wasm's SHA-1 build as text, which the
 * browser platform's hashing Web Worker runs from a Blob URL. Run after updating hash-wasm:
 * `npx tsc -p tsconfig.json && node dist/spec/browser/write-hash-wasm-sha1.js`
 * (spec/browser/platform.spec.ts checks the file is what this writes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { ROOT } from './harness';

export const GENERATED = path.join(ROOT, 'src/platform/browser-hash-wasm-sha1.ts');

/** The file's text for the installed hash-wasm, formatted as the repository's Prettier settings say. */
export async function renderHashWasmSha1(): Promise<string> {
  const text = readFileSync(path.join(ROOT, 'node_modules/hash-wasm/dist/sha1.umd.min.js'), 'utf8');
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/hash-wasm/package.json'), 'utf8')) as { version: string };
  const source = `/**
 * hash-wasm ${version}'s SHA-1 build (node_modules/hash-wasm/dist/sha1.umd.min.js; MIT, (c) Dani Biro) as
 * text: the hashing Web Worker (browser-hash-worker.ts) runs it from a Blob URL, so the bundle ships
 * no separate worker file. Generated, not edited: after updating hash-wasm, run
 * \`npx tsc -p tsconfig.json && node dist/spec/browser/write-hash-wasm-sha1.js\`.
 */
export const HASH_WASM_SHA1_UMD = ${JSON.stringify(text)};
`;
  return format(source, { ...(await resolveConfig(GENERATED)), filepath: GENERATED });
}

if (require.main === module) {
  void renderHashWasmSha1().then((text) => {
    writeFileSync(GENERATED, text);
    console.log(`wrote ${GENERATED}`);
  });
}
