/**
 * Imports point one way. Reads every .ts file under src/, resolves its relative imports (static,
 * re-exports, `import()` and `require()`), and fails on:
 *
 * - an import cycle among src files (type-only imports count: they are the design's arrows too);
 * - an import that breaks a "never" rule of the design: the project's shared design folder beside
 *   the checkout (shared/design/layers.json in the checkout's parent folder, as CI lays it out;
 *   RXB2_LAYERS_JSON names another path).
 *   A part is some files or folders; a file is on the part with the longest path that holds it; a
 *   rule [A, B] forbids a file of A to reach a file of B straight or through files on no part;
 * - a Node built-in imported (for its values, not only types) by code the browser build reaches:
 *   from the browser entry points, with package.json's `browser` swaps applied as bundlers do.
 *   spec/packaging and spec/browser check the bundles themselves; this finds the import at its
 *   source, in a second, without a build.
 *
 * Known findings that another branch removes are listed in ALLOWED, each by name with the reason:
 * they are excused one by one, anything new fails, and an entry that matches nothing any more
 * fails too (remove it).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** The repository, seen from dist/spec/repo. */
const REPO = resolve(__dirname, '../../..');
/** The design, in the shared folder beside the checkout; RXB2_LAYERS_JSON names it elsewhere (a checkout laid out otherwise). */
const DESIGN = process.env.RXB2_LAYERS_JSON || join(dirname(REPO), 'shared', 'design', 'layers.json');

/** What the browser build starts from: the package's entries a browser app imports, and the emulator's console page. */
const BROWSER_ENTRIES = ['src/index.ts', 'src/operators/index.ts', 'src/angular/index.ts', 'src/console/page.ts'];

/**
 * Findings excused for a while, each by name with why, removed when its fix lands (none today).
 * A cycle is named by its files; a broken never by its rule and the file imported. An entry that
 * matches nothing fails the spec.
 */
const ALLOWED: AllowEntry[] = [];

// ------------------------------------------------------------------ the checker

export type AllowEntry = { name: string; why: string } & ({ cycle: string[] } | { never: [string, string]; to: string });

/** One import of a file: what it names, whether only types come through it. */
export interface ImportRef {
  specifier: string;
  typeOnly: boolean;
}

/** A source file's imports, resolved: files of the tree (repository-relative paths) and packages. */
export interface SourceFile {
  path: string;
  /** Files of the tree it imports, each with whether only types come through. */
  files: { path: string; typeOnly: boolean }[];
  /** Packages and built-ins it imports (bare specifiers). */
  packages: ImportRef[];
  /** Relative specifiers that name no file. */
  unresolved: string[];
}

export type Graph = Map<string, SourceFile>;

/** The design's parts and rules (the keys this spec reads of layers.json). */
export interface Design {
  parts: Record<string, { is: string[] }>;
  never: [string, string, string?][];
}

/** Every import of a TypeScript file's text: declarations, re-exports, `import()` and `require()` with a literal specifier. */
export function importsOf(text: string, fileName = 'x.ts'): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      // Elided from the JavaScript: `import type`, or only `type` names and no default or namespace.
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        found.push({ specifier: node.arguments[0].text, typeOnly: false });
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The .ts file a relative specifier names (repository-relative), as TypeScript resolves it; undefined if none. */
function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const target = resolve(root, dirname(from), specifier);
  const candidates = [`${target}.ts`, join(target, 'index.ts'), target.replace(/\.js$/, '.ts'), target];
  const hit = candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
  return hit === undefined ? undefined : relative(root, hit).split(sep).join('/');
}

/** The import graph of every .ts file under `root`/src (declaration files aside). */
export function readGraph(root: string): Graph {
  const graph: Graph = new Map();
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) graph.set(path, parseFile(root, path, readFileSync(join(root, path), 'utf8')));
    }
  };
  walk('src');
  return graph;
}

/** One file's entry of the graph, from its text. */
export function parseFile(root: string, path: string, text: string): SourceFile {
  const file: SourceFile = { path, files: [], packages: [], unresolved: [] };
  for (const ref of importsOf(text, path)) {
    if (!ref.specifier.startsWith('.')) {
      file.packages.push(ref);
      continue;
    }
    const target = resolveRelative(root, path, ref.specifier);
    if (target === undefined) file.unresolved.push(ref.specifier);
    else file.files.push({ path: target, typeOnly: ref.typeOnly });
  }
  return file;
}

/** Every import cycle: the strongly connected components of more than one file (or a file importing itself), each sorted. */
export function findCycles(graph: Graph): string[][] {
  // Tarjan's algorithm, iterative over the files in order.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const strongConnect = (start: string): void => {
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    indexOf.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const targets = (graph.get(frame.node)?.files ?? []).map((f) => f.path).filter((p) => graph.has(p));
      if (frame.next < targets.length) {
        const next = targets[frame.next++];
        if (!indexOf.has(next)) {
          indexOf.set(next, index);
          low.set(next, index++);
          stack.push(next);
          onStack.add(next);
          work.push({ node: next, next: 0 });
        } else if (onStack.has(next)) low.set(frame.node, Math.min(low.get(frame.node)!, indexOf.get(next)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === indexOf.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfImport = graph.get(frame.node)?.files.some((f) => f.path === frame.node);
        if (component.length > 1 || selfImport) cycles.push(component.sort());
      }
    }
  };
  for (const file of graph.keys()) if (!indexOf.has(file)) strongConnect(file);
  return cycles;
}

/** The part a file is on: the one whose path (a file, or a folder ending in '/') holds it most closely; undefined for none. */
export function partOf(design: Design, file: string): string | undefined {
  let best: { part: string; length: number } | undefined;
  for (const [part, { is }] of Object.entries(design.parts)) {
    for (const path of is) {
      const holds = path.endsWith('/') ? file.startsWith(path) : file === path;
      if (holds && (!best || path.length > best.length)) best = { part, length: path.length };
    }
  }
  return best?.part;
}

/** One import that breaks a never rule: the rule, and the chain of files from a file of A to one of B. */
export interface NeverBreak {
  rule: [string, string];
  why: string;
  chain: string[];
}

/** Every never rule a file of A breaks by reaching a file of B, straight or through files on no part. One finding per (file of A, file of B). */
export function findNeverBreaks(graph: Graph, design: Design): NeverBreak[] {
  const breaks: NeverBreak[] = [];
  for (const [from, to, why = ''] of design.never) {
    for (const start of [...graph.keys()].filter((f) => partOf(design, f) === from)) {
      // Breadth first through files on no part, keeping the way back.
      const cameFrom = new Map<string, string>([[start, '']]);
      const queue = [start];
      while (queue.length > 0) {
        const file = queue.shift()!;
        for (const { path: next } of graph.get(file)?.files ?? []) {
          if (cameFrom.has(next)) continue;
          cameFrom.set(next, file);
          const part = partOf(design, next);
          if (part === to) {
            const chain = [next];
            for (let at = file; at !== ''; at = cameFrom.get(at)!) chain.unshift(at);
            breaks.push({ rule: [from, to], why, chain });
          } else if (part === undefined) queue.push(next);
        }
      }
    }
  }
  return breaks;
}

/** A Node built-in module name (`node:fs`, `fs`, `fs/promises`). */
export function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier) || builtinModules.includes(specifier.split('/')[0]);
}

/** package.json's `browser` swaps, as source files: src/platform/index.ts -> src/platform/browser.ts… */
export function browserSwaps(packageJson: { browser?: Record<string, string> }): Map<string, string> {
  const source = (file: string) => `src/${file.replace(/^\.\/lib\/cjs\//, '').replace(/\.js$/, '.ts')}`;
  return new Map(
    Object.entries(packageJson.browser ?? {})
      .filter(([from]) => from.startsWith('./lib/cjs/'))
      .map(([from, to]) => [source(from), source(to)]),
  );
}

/** Each file the browser build reaches from `entries` (swaps applied; type-only imports are erased) that imports a Node built-in for its values, with the way there. */
export function findBrowserBuiltins(graph: Graph, entries: string[], swaps: Map<string, string>): string[] {
  const found: string[] = [];
  const cameFrom = new Map<string, string>();
  const queue: string[] = [];
  for (const entry of entries) {
    cameFrom.set(entry, '');
    queue.push(entry);
  }
  while (queue.length > 0) {
    const file = queue.shift()!;
    const way = () => {
      const chain = [file];
      for (let at = cameFrom.get(file)!; at !== ''; at = cameFrom.get(at)!) chain.unshift(at);
      return chain.join(' -> ');
    };
    for (const ref of graph.get(file)?.packages ?? []) if (!ref.typeOnly && isBuiltin(ref.specifier)) found.push(`${way()} imports ${ref.specifier}`);
    for (const { path, typeOnly } of graph.get(file)?.files ?? []) {
      const next = swaps.get(path) ?? path;
      if (typeOnly || cameFrom.has(next)) continue;
      cameFrom.set(next, file);
      queue.push(next);
    }
  }
  return found;
}

/** The findings as lines, with the allowed ones taken out and the allow-list entries that matched nothing added. */
export function judge(cycles: string[][], breaks: NeverBreak[], allowed: AllowEntry[]): string[] {
  const used = new Set<string>();
  const out: string[] = [];
  for (const cycle of cycles) {
    const entry = allowed.find((a) => 'cycle' in a && a.cycle.length === cycle.length && [...a.cycle].sort().every((f, i) => f === cycle[i]));
    if (entry) used.add(entry.name);
    else out.push(`import cycle: ${cycle.join(' <-> ')}`);
  }
  for (const b of breaks) {
    const entry = allowed.find((a) => 'never' in a && a.never[0] === b.rule[0] && a.never[1] === b.rule[1] && b.chain[b.chain.length - 1] === a.to);
    if (entry) used.add(entry.name);
    else out.push(`never ${b.rule[0]} -> ${b.rule[1]} ("${b.why}"): ${b.chain.join(' -> ')}`);
  }
  for (const a of allowed) if (!used.has(a.name)) out.push(`allow-list entry '${a.name}' matches nothing any more: remove it from spec/repo/layers.spec.ts`);
  return out;
}

// ------------------------------------------------------------------ the specs

describe('layers: imports point one way', () => {
  describe('the checker', () => {
    const root = '/repo';
    const file = (path: string, imports: string[], packages: string[] = []): SourceFile => ({
      path,
      files: imports.map((p) => ({ path: p, typeOnly: p.startsWith('type:') })).map((f) => ({ path: f.path.replace(/^type:/, ''), typeOnly: f.typeOnly })),
      packages: packages.map((specifier) => ({ specifier: specifier.replace(/^type:/, ''), typeOnly: specifier.startsWith('type:') })),
      unresolved: [],
    });
    const graphOf = (...files: SourceFile[]): Graph => new Map(files.map((f) => [f.path, f]));
    const design: Design = {
      parts: { Low: { is: ['src/low/'] }, High: { is: ['src/high/'] }, Special: { is: ['src/low/special.ts'] } },
      never: [['Low', 'High', 'down only']],
    };

    it('reads declarations, re-exports, import(), require() and import types, and which are only for types', () => {
      const text = [
        "import { a } from './a';",
        "import type { B } from './b';",
        "import { type C, type D } from './c';",
        "import E, { type F } from './e';",
        "export * from './f';",
        "export type { G } from './g';",
        "const h = await import('./h');",
        "const i = require('node:fs');",
        "let j: import('./j').J;",
        "import './side-effect';",
      ].join('\n');
      expect(importsOf(text)).toEqual([
        { specifier: './a', typeOnly: false },
        { specifier: './b', typeOnly: true },
        { specifier: './c', typeOnly: true },
        { specifier: './e', typeOnly: false },
        { specifier: './f', typeOnly: false },
        { specifier: './g', typeOnly: true },
        { specifier: './h', typeOnly: false },
        { specifier: 'node:fs', typeOnly: false },
        { specifier: './j', typeOnly: true },
        { specifier: './side-effect', typeOnly: false },
      ]);
      // A specifier computed at run time is no import of a file (the emulator's console bundle).
      expect(importsOf("await import(['.', 'x'].join('/'));")).toEqual([]);
      expect(parseFile(root, 'src/x.ts', "import { y } from './not-there';").unresolved).toEqual(['./not-there']);
    });

    it('finds a two-file circle, a longer one and a file importing itself; a chain is none', () => {
      const graph = graphOf(
        file('src/a.ts', ['src/b.ts']),
        file('src/b.ts', ['type:src/a.ts']),
        file('src/c.ts', ['src/d.ts']),
        file('src/d.ts', ['src/e.ts']),
        file('src/e.ts', ['src/c.ts', 'src/f.ts']),
        file('src/f.ts', []),
        file('src/g.ts', ['src/g.ts']),
      );
      expect(findCycles(graph).sort()).toEqual([['src/a.ts', 'src/b.ts'], ['src/c.ts', 'src/d.ts', 'src/e.ts'], ['src/g.ts']]);
      expect(findCycles(graphOf(file('src/a.ts', ['src/b.ts']), file('src/b.ts', ['src/c.ts']), file('src/c.ts', [])))).toEqual([]);
    });

    it('places a file on the part with the longest path, and finds a never broken straight or through files on no part', () => {
      expect(partOf(design, 'src/low/x.ts')).toBe('Low');
      expect(partOf(design, 'src/low/special.ts')).toBe('Special');
      expect(partOf(design, 'src/elsewhere.ts')).toBeUndefined();
      const graph = graphOf(
        file('src/low/straight.ts', ['src/high/h.ts']),
        file('src/low/through.ts', ['src/glue.ts']),
        file('src/glue.ts', ['src/high/h.ts']),
        // Through another part: that part's own arrows are its business, not this rule's.
        file('src/low/special.ts', ['src/high/h.ts']),
        file('src/low/via-special.ts', ['src/low/special.ts']),
        file('src/high/h.ts', ['src/low/straight.ts']),
      );
      expect(findNeverBreaks(graph, design).map((b) => b.chain.join(' -> '))).toEqual([
        'src/low/straight.ts -> src/high/h.ts',
        'src/low/through.ts -> src/glue.ts -> src/high/h.ts',
      ]);
    });

    it('finds a Node built-in the browser build reaches (swaps applied, type-only imports erased)', () => {
      const graph = graphOf(
        file('src/index.ts', ['src/platform/index.ts', 'type:src/node-types.ts', 'src/core.ts']),
        file('src/platform/index.ts', ['src/platform/node.ts']),
        file('src/platform/node.ts', [], ['node:fs']),
        file('src/platform/browser.ts', [], ['type:node:stream']),
        file('src/node-types.ts', [], ['node:http']),
        file('src/core.ts', [], ['crypto']),
      );
      const swaps = browserSwaps({ browser: { './lib/cjs/platform/index.js': './lib/cjs/platform/browser.js', './lib/esm/platform/index.js': './lib/esm/platform/browser.js' } });
      expect(swaps).toEqual(new Map([['src/platform/index.ts', 'src/platform/browser.ts']]));
      expect(findBrowserBuiltins(graph, ['src/index.ts'], swaps)).toEqual(['src/index.ts -> src/core.ts imports crypto']);
      expect(findBrowserBuiltins(graph, ['src/index.ts'], new Map())).toEqual([
        'src/index.ts -> src/core.ts imports crypto',
        'src/index.ts -> src/platform/index.ts -> src/platform/node.ts imports node:fs',
      ]);
    });

    it('excuses allow-listed findings by name, reports anything else, and an entry that matches nothing', () => {
      const allowed: AllowEntry[] = [
        { name: 'known-circle', why: 'x', cycle: ['src/b.ts', 'src/a.ts'] },
        { name: 'known-never', why: 'y', never: ['Low', 'High'], to: 'src/high/h.ts' },
        { name: 'gone', why: 'z', cycle: ['src/y.ts', 'src/z.ts'] },
      ];
      const breaks: NeverBreak[] = [
        { rule: ['Low', 'High'], why: 'down only', chain: ['src/low/a.ts', 'src/high/h.ts'] },
        { rule: ['Low', 'High'], why: 'down only', chain: ['src/low/a.ts', 'src/high/other.ts'] },
      ];
      expect(
        judge(
          [
            ['src/a.ts', 'src/b.ts'],
            ['src/a.ts', 'src/b.ts', 'src/c.ts'],
          ],
          breaks,
          allowed,
        ),
      ).toEqual([
        'import cycle: src/a.ts <-> src/b.ts <-> src/c.ts',
        'never Low -> High ("down only"): src/low/a.ts -> src/high/other.ts',
        "allow-list entry 'gone' matches nothing any more: remove it from spec/repo/layers.spec.ts",
      ]);
    });
  });

  describe('the source tree', () => {
    let graph: Graph;
    beforeAll(() => {
      graph = readGraph(REPO);
    });

    it('reads every .ts file under src and resolves every relative import', () => {
      expect(graph.size).withContext('files read (is the repository root right?)').toBeGreaterThan(100);
      const unresolved = [...graph.values()].flatMap((f) => f.unresolved.map((s) => `${f.path}: ${s}`));
      expect(unresolved).withContext('relative imports that name no .ts file').toEqual([]);
    });

    it('has no import cycle and breaks no never rule of the design (known findings allow-listed by name)', () => {
      if (!existsSync(DESIGN)) {
        fail(
          `the design is missing: ${DESIGN} (CI lays the shared folder beside the checkout: shared/design/layers.json in the checkout's parent; or set RXB2_LAYERS_JSON to its path)`,
        );
        return;
      }
      const design = JSON.parse(readFileSync(DESIGN, 'utf8')) as Design;
      expect(Object.keys(design.parts ?? {}).length)
        .withContext('parts in the design')
        .toBeGreaterThan(0);
      expect((design.never ?? []).length)
        .withContext('never rules in the design')
        .toBeGreaterThan(0);
      // Every part of the design names something of the tree (a renamed folder would silently check nothing).
      for (const [part, { is }] of Object.entries(design.parts)) {
        for (const path of is)
          expect([...graph.keys()].some((f) => (path.endsWith('/') ? f.startsWith(path) : f === path)))
            .withContext(`${part}: ${path}`)
            .toBeTrue();
      }
      const findings = judge(findCycles(graph), findNeverBreaks(graph, design), ALLOWED);
      expect(findings).withContext(`${findings.length} finding(s)`).toEqual([]);
    });

    it('the browser build reaches no Node built-in (package.json browser swaps applied)', () => {
      const swaps = browserSwaps(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { browser?: Record<string, string> });
      expect(swaps.get('src/platform/index.ts')).toBe('src/platform/browser.ts');
      for (const entry of BROWSER_ENTRIES) expect(graph.has(entry)).withContext(entry).toBeTrue();
      expect(findBrowserBuiltins(graph, BROWSER_ENTRIES, swaps)).toEqual([]);
    });
  });
});
