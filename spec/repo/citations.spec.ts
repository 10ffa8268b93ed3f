/**
 * Code comments and spec titles cite Backblaze's public documentation by URL
 * (https://www.backblaze.com/apidocs/..., https://www.backblaze.com/docs/...), never a document that
 * is not in the repository: no section citations of a private reference ("reference" + section
 * sign + number, or a bare section sign + number), no path that leads out of the repository to
 * shared notes. Section numbers of an RFC ("RFC 9110" + section) are citations of a public document
 * and stay allowed.
 *
 * The patterns are written with escapes so that this file does not match itself.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** The repository, seen from dist/spec/repo. */
const REPO = resolve(__dirname, '../../..');
const SCANNED = ['src', 'spec', 'bench'];
const TEXT_FILE = /\.(?:[cm]?[jt]sx?|md|json|html|sh)$/;

/** A section sign followed by a section number, e.g. the one of "(reference <sign>6.2)". */
const SECTION = /\u00a7\s*\d/g;
/** What may stand right before an allowed section citation: an RFC's number. */
const RFC_BEFORE = /RFC\s*\d+\s*$/i;
/** A path into the lead's shared notes, absolute or by name. */
const SHARED_NOTES = /\/work\/shared\b|\bb2-native-api\.md\b/;
/** A relative path that climbs out of its folder to a `shared` folder: checked against the repository root. */
const CLIMB_TO_SHARED = /((?:\.\.\/)+)shared\b/g;

export interface Finding {
  line: number;
  text: string;
  why: string;
}

/** Every citation of something outside the repository in `content` (a file at `file`, for relative paths). */
export function findOutsideCitations(content: string, file: string): Finding[] {
  const findings: Finding[] = [];
  content.split('\n').forEach((text, i) => {
    const line = i + 1;
    for (const m of text.matchAll(SECTION)) {
      if (RFC_BEFORE.test(text.slice(0, m.index))) continue;
      findings.push({ line, text: text.trim(), why: 'section citation of a document that is not in the repository' });
      break;
    }
    if (SHARED_NOTES.test(text)) findings.push({ line, text: text.trim(), why: 'path to notes outside the repository' });
    for (const m of text.matchAll(CLIMB_TO_SHARED)) {
      const target = resolve(dirname(file), m[1], 'shared');
      if (target !== REPO && !target.startsWith(REPO + sep)) {
        findings.push({ line, text: text.trim(), why: `relative path out of the repository (${m[0]})` });
      }
    }
  });
  return findings;
}

function* textFiles(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* textFiles(path);
    else if (TEXT_FILE.test(name)) yield path;
  }
}

describe('repository citations', () => {
  describe('the checker', () => {
    const here = join(REPO, 'src', 'api', 'x.ts');

    it('finds a "reference" section citation and a bare one', () => {
      const found = findOutsideCitations("/** (reference \u00a76.2) */\n// ok\nit('x (\u00a77A.5)', f);", here);
      expect(found.map((f) => f.line)).toEqual([1, 3]);
    });

    it('leaves RFC section numbers and Backblaze URLs alone', () => {
      const text = '// trimmed (RFC 9110 \u00a75.5)\n/** (https://www.backblaze.com/apidocs/b2-upload-file) */';
      expect(findOutsideCitations(text, here)).toEqual([]);
    });

    it('finds paths to the shared notes, and relative paths that climb out of the repository', () => {
      const absolute = '// see /work' + '/shared/STYLE.md';
      const byName = '// see b2-native-api' + '.md';
      const climbing = '// see ../../..' + '/shared/design/layers.json';
      const inside = "import { x } from '..' + '/shared/util';";
      expect(findOutsideCitations(absolute, here)).toHaveSize(1);
      expect(findOutsideCitations(byName, here)).toHaveSize(1);
      expect(findOutsideCitations(climbing, here)).toHaveSize(1);
      expect(findOutsideCitations(inside.replace("' + '", ''), here)).toEqual([]); // src/shared would be inside
    });
  });

  it('src/, spec/ and bench/ cite Backblaze documentation by URL, nothing outside the repository', () => {
    const findings: string[] = [];
    let scanned = 0;
    for (const top of SCANNED) {
      for (const file of textFiles(join(REPO, top))) {
        scanned++;
        for (const f of findOutsideCitations(readFileSync(file, 'utf8'), file)) {
          findings.push(`${relative(REPO, file)}:${f.line}: ${f.why}: ${f.text}`);
        }
      }
    }
    expect(scanned).withContext('files scanned (is the repository root right?)').toBeGreaterThan(100);
    expect(findings).withContext(`${findings.length} citation(s) to rewrite (e.g. node fix-citations.mjs <repo>)`).toEqual([]);
  });
});
