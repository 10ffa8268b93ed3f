#!/usr/bin/env node
/**
 * Builds the published package into lib/: lib/cjs (CommonJS) and lib/esm (ES modules), one file per
 * source file with its .d.ts, so that package.json `browser` can swap platform/index.js for
 * platform/browser.js (and http/node-axios.js for http/browser-axios.js) in either build and bundlers can drop what an application does not import.
 * The `rxb2` bin is the one bundled file lib/cjs/cli/rxb2-bin.js (.ci/bundle-bin.mjs): a command starts faster from one file.
 *
 * Sources import each other without extensions (`'../platform'`). Node's ESM loader needs full
 * paths, so while emitting, relative specifiers are rewritten to the file they resolve to
 * (`'../platform/index.js'`), in the JavaScript and in the declarations, for both builds.
 *
 * Usage: node .ci/build-package.mjs   (npm run build:package)
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { bundleBin } from './bundle-bin.mjs';
import { writeConsoleBundle } from './console-bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const builds = [
  { config: 'tsconfig.cjs.json', out: 'lib/cjs', type: 'commonjs' },
  // Same sources as the CommonJS build, already type-checked there: emitted without checking again.
  { config: 'tsconfig.esm.json', out: 'lib/esm', type: 'module', noCheck: true },
];
/** package.json `bin` targets, e.g. lib/cjs/cli/rxb2.js. */
const bins = Object.values(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin ?? {});

// Built next to lib/ and swapped in at the end, so that a failed build leaves the last good one and
// an `npm pack` running at the same time never sees a half-written lib/.
const staging = join(root, `lib.building-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
let failed = false;
try {
  for (const build of builds) failed = !emit(build) || failed;
  // The emulator's console page script (rxb2's browser build), which the emulator serves at /console/app.js.
  if (!failed) {
    for (const build of builds) {
      await writeConsoleBundle(join(staging, relative('lib', build.out), 'emulator', 'console'), build.type === 'module' ? 'esm' : 'cjs');
    }
    // The `rxb2` bin: the command in one file (start-up), beside the CommonJS build's cli/ files.
    await bundleBin(join(staging, 'cjs', 'cli', 'rxb2-bin.js'));
  }
  failed = failed || !checkBins(staging);
  if (!failed) swapIn(staging, join(root, 'lib'));
} finally {
  rmSync(staging, { recursive: true, force: true });
}
if (failed) process.exit(1);

/** package.json `browser` entries of one build (`lib/cjs`), relative to it: `./platform/index.js` -> `./platform/browser.js`. */
function browserSwaps(out) {
  const prefix = `./${out}/`;
  const swaps = {};
  for (const [from, to] of Object.entries(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).browser ?? {})) {
    if (from.startsWith(prefix)) swaps[`./${from.slice(prefix.length)}`] = `./${to.slice(prefix.length)}`;
  }
  return swaps;
}

/** Every bin must be a built file; it is made executable for runs from the work tree too. */
function checkBins(built) {
  let ok = true;
  for (const bin of bins) {
    const inLib = relative('lib', bin);
    const path = join(built, inLib);
    if (inLib.startsWith('..') || !existsSync(path)) {
      process.stderr.write(`package.json bin ${bin}: not a file of lib/\n`);
      ok = false;
    } else chmodSync(path, 0o755);
  }
  return ok;
}

/** Replaces target with fresh by two renames; another build swapping at the same time wins a retry. */
function swapIn(fresh, target) {
  const old = `${target}.old-${process.pid}`;
  for (let attempt = 1; ; attempt++) {
    try {
      renameSync(target, old);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    try {
      renameSync(fresh, target);
      break;
    } catch (err) {
      if (!['ENOTEMPTY', 'EEXIST', 'EPERM'].includes(err.code) || attempt === 5) throw err;
    }
  }
  rmSync(old, { recursive: true, force: true });
}

function emit({ config, out, type, noCheck = false }) {
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => report([d]) };
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, config), undefined, host);
  if (!parsed) return false;
  const outDir = join(staging, relative(join(root, 'lib'), join(root, out)));
  const options = { ...parsed.options, outDir, noCheck };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options, projectReferences: parsed.projectReferences });
  const rewrite = specifierRewriter();
  const result = program.emit(undefined, undefined, undefined, false, { before: [rewrite], afterDeclarations: [rewrite] });
  const diagnostics = ts.sortAndDeduplicateDiagnostics([...ts.getPreEmitDiagnostics(program), ...result.diagnostics]);
  report(diagnostics);
  if (result.emitSkipped || diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) return false;
  // Node reads the module format of lib/esm/**/*.js from the nearest package.json, and so do some
  // bundlers (webpack) for `sideEffects` and `browser`: this one repeats them for its build.
  const nested = { type, sideEffects: false, browser: browserSwaps(out) };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(nested, null, 2)}\n`);
  console.log(`${config} -> ${out} (${parsed.fileNames.length} modules)`);
  return true;
}

/** A transformer rewriting `'./x'` to `'./x.js'` or `'./x/index.js'`, whichever exists in the sources. */
function specifierRewriter() {
  return (context) => {
    const { factory } = context;
    let from = '';
    const resolveSpecifier = (specifier) => {
      if (!ts.isStringLiteral(specifier) || !/^\.\.?(\/|$)/.test(specifier.text)) return specifier;
      return factory.createStringLiteral(fullSpecifier(from, specifier.text));
    };
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && node.moduleSpecifier) {
        return factory.updateImportDeclaration(node, node.modifiers, node.importClause, resolveSpecifier(node.moduleSpecifier), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        return factory.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, resolveSpecifier(node.moduleSpecifier), node.attributes);
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        const literal = resolveSpecifier(node.argument.literal);
        if (literal !== node.argument.literal) {
          return factory.updateImportTypeNode(node, factory.updateLiteralTypeNode(node.argument, literal), node.attributes, node.qualifier, node.typeArguments, node.isTypeOf);
        }
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length > 0) {
        const literal = resolveSpecifier(node.arguments[0]);
        if (literal !== node.arguments[0]) return factory.updateCallExpression(node, node.expression, node.typeArguments, [literal, ...node.arguments.slice(1)]);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return (file) => {
      if (!ts.isSourceFile(file)) return file;
      from = file.fileName;
      return ts.visitEachChild(file, visit, context);
    };
  };
}

/** The specifier with the extension Node needs, from the source file that imports it. */
function fullSpecifier(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  const isFile = (path) => existsSync(path) && statSync(path).isFile();
  if (isFile(base)) return specifier; // already complete ('./data.json')
  if (isFile(`${base}.ts`)) return `${specifier}.js`;
  if (isFile(join(base, 'index.ts'))) return `${specifier.replace(/\/$/, '')}/index.js`;
  throw new Error(`${relative(root, fromFile)}: cannot resolve '${specifier}'`);
}

function report(diagnostics) {
  if (diagnostics.length === 0) return;
  const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));
}
