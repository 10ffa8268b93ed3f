/**
 * Include and exclude patterns for sync, as rclone writes them: `*` any characters but `/`, `**`
 * any characters including `/`, `?` one character but `/`, `[abc]` / `[a-z]` / `[!abc]` a class,
 * `{jpg,png}` alternatives, `\` escapes the next character. A pattern starting with `/` matches from
 * the top of the synced folder; otherwise it matches the end of a name at a `/` boundary (`*.jpg`
 * matches `a/b/x.jpg`). A pattern ending with `/` matches a folder and everything in it.
 */
import { invalidArgument } from '../http/b2-error';

/** A compiled pattern: whether a relative name (with `/` separators) matches. */
export type NameMatcher = (name: string) => boolean;

/** Compiles one pattern; `field` names the option in errors (an unclosed `[` or `{`). */
export function compileGlob(pattern: string, field: string): NameMatcher {
  if (typeof pattern !== 'string' || pattern === '') throw invalidArgument(field, 'must be a non-empty glob pattern');
  let source = pattern;
  const anchored = source.startsWith('/');
  if (anchored) source = source.slice(1);
  if (source.endsWith('/')) source += '**';
  let out = '';
  let braces = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      if (i + 1 >= source.length) throw invalidArgument(field, `"${pattern}" ends with a lone \\`);
      out += escapeRegExp(source[++i]);
    } else if (c === '*') {
      if (source[i + 1] === '*') {
        i++;
        // `**/` also matches no folder at all: `a/**/b` matches `a/b`.
        if (source[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = source.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument(field, `"${pattern}" has a [ without its ]`);
      let body = source.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += escapeRegExp(c);
  }
  if (braces > 0) throw invalidArgument(field, `"${pattern}" has a { without its }`);
  let re: RegExp;
  try {
    re = new RegExp(`${anchored ? '^' : '(?:^|/)'}${out}$`, 'su');
  } catch {
    throw invalidArgument(field, `"${pattern}" is not a valid pattern`);
  }
  return (name) => re.test(name);
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/**
 * The filter of a sync: a name is kept unless it matches an exclude pattern, and, when there are
 * include patterns, only if it matches one. `excludesFolder` tells the walk not to enter a folder
 * whose contents would all be excluded (a pattern ending in `/`, or `dir/**`).
 */
export interface NameFilter {
  keeps(name: string): boolean;
  excludesFolder(folder: string): boolean;
  /** False when there is no pattern: every name is kept (the listing is then taken as it is). */
  readonly patterns: boolean;
}

export function nameFilter(include: readonly string[] | undefined, exclude: readonly string[] | undefined): NameFilter {
  const inc = checkPatterns(include, 'include').map((p, i) => compileGlob(p, `include[${i}]`));
  const excludes = checkPatterns(exclude, 'exclude');
  const exc = excludes.map((p, i) => compileGlob(p, `exclude[${i}]`));
  // Patterns that take a whole folder (`dir/`, `dir/**`): the folder itself matches what is left.
  const folders = excludes.flatMap((p, i) => {
    const folder = /^(.*[^/])(?:\/\*\*|\/)$/.exec(p)?.[1];
    return folder && !folder.endsWith('\\') ? [compileGlob(folder, `exclude[${i}]`)] : [];
  });
  // No pattern (the usual sync): every name kept, asked once per name of both sides.
  if (inc.length === 0 && exc.length === 0) return { patterns: false, keeps: () => true, excludesFolder: () => false };
  return {
    patterns: true,
    keeps: (name) => !exc.some((m) => m(name)) && (inc.length === 0 || inc.some((m) => m(name))),
    excludesFolder: (folder) => folders.some((m) => m(folder)),
  };
}

function checkPatterns(patterns: readonly string[] | undefined, field: string): readonly string[] {
  if (patterns === undefined) return [];
  if (!Array.isArray(patterns)) throw invalidArgument(field, 'must be an array of glob patterns');
  return patterns as readonly string[];
}
