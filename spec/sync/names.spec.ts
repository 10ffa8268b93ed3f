import fc from 'fast-check';
import { compareNames, sortFolderEntries } from '../../src/sync/names';
import { compileGlob, nameFilter } from '../../src/sync/glob';
import { B2Error } from '../../src';

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('sync names: B2 order (UTF-8 bytes)', () => {
  it('orders a character above U+FFFF after U+FFFD, where UTF-16 order puts it before', () => {
    const emoji = '\u{1F600}';
    expect('\uD83D' < '\uFFFD').toBeTrue();
    expect(compareNames(emoji, '\uFFFD')).toBeGreaterThan(0);
    expect(compareNames('\uFFFD', emoji)).toBeLessThan(0);
    expect(compareNames('a', 'a')).toBe(0);
    expect(compareNames('a', 'ab')).toBeLessThan(0);
  });

  it('agrees with the order of the UTF-8 bytes for any two strings', () => {
    const text = fc.string({
      unit: fc.oneof(fc.constantFrom('a', '/', '-', '.', '0', '\uFFFD', '\uE000', '\u{1F600}', '\u{10FFFF}', 'é'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
      maxLength: 8,
    });
    fc.assert(
      fc.property(text, text, (a, b) => Math.sign(compareNames(a, b)) === Math.sign(byteOrder(a, b))),
      { numRuns: 2000 },
    );
  });

  it('sorts a folder so that a depth-first walk yields full names in byte order (a/… between a.b and a0)', () => {
    const folder = [
      { name: 'a0', folder: false },
      { name: 'a', folder: true },
      { name: 'a.b', folder: false },
      { name: 'a-b', folder: false },
      { name: 'a b', folder: true },
      { name: '\u{1F600}', folder: false },
      { name: '\uFFFD', folder: false },
    ];
    expect(sortFolderEntries(folder).map((e) => e.name)).toEqual(['a b', 'a-b', 'a.b', 'a', 'a0', '\uFFFD', '\u{1F600}']);
    // Plain sorting of the names (a folder as a unit) would put "a" before "a-b".
    expect([...folder.map((e) => e.name)].sort(byteOrder).indexOf('a')).toBeLessThan([...folder.map((e) => e.name)].sort(byteOrder).indexOf('a-b'));
  });
});

describe('sync glob patterns', () => {
  const matches = (pattern: string, name: string) => compileGlob(pattern, 'exclude[0]')(name);

  it('* stays within a folder, ** crosses folders, ? is one character', () => {
    expect(matches('*.jpg', 'x.jpg')).toBeTrue();
    expect(matches('*.jpg', 'a/b/x.jpg')).toBeTrue();
    expect(matches('*.jpg', 'x.jpeg')).toBeFalse();
    expect(matches('/*.jpg', 'a/x.jpg')).toBeFalse();
    expect(matches('/*.jpg', 'x.jpg')).toBeTrue();
    expect(matches('/a/*', 'a/b/c')).toBeFalse();
    expect(matches('/a/**', 'a/b/c')).toBeTrue();
    expect(matches('a/**/c', 'a/c')).toBeTrue();
    expect(matches('a/**/c', 'a/x/y/c')).toBeTrue();
    expect(matches('?.txt', 'a.txt')).toBeTrue();
    expect(matches('?.txt', 'ab.txt')).toBeFalse();
    expect(matches('?', '/')).toBeFalse();
  });

  it('matches a name at a folder boundary only, and treats regular-expression characters literally', () => {
    expect(matches('b.txt', 'ab.txt')).toBeFalse();
    expect(matches('b.txt', 'a/b.txt')).toBeTrue();
    expect(matches('a+b(1).txt', 'a+b(1).txt')).toBeTrue();
    expect(matches('a.txt', 'abtxt')).toBeFalse();
    expect(matches('\\*.txt', '*.txt')).toBeTrue();
    expect(matches('\\*.txt', 'x.txt')).toBeFalse();
  });

  it('classes, negated classes and alternatives', () => {
    expect(matches('file[0-9].log', 'file7.log')).toBeTrue();
    expect(matches('file[0-9].log', 'filex.log')).toBeFalse();
    expect(matches('file[!0-9].log', 'filex.log')).toBeTrue();
    expect(matches('file[!0-9].log', 'file/.log')).toBeFalse();
    expect(matches('*.{jpg,png}', 'a/b.png')).toBeTrue();
    expect(matches('*.{jpg,png}', 'a/b.gif')).toBeFalse();
  });

  it('a pattern ending in / takes a folder and everything in it, and the walk skips that folder', () => {
    expect(matches('node_modules/', 'node_modules/x/y.js')).toBeTrue();
    expect(matches('node_modules/', 'a/node_modules/y.js')).toBeTrue();
    expect(matches('node_modules/', 'node_modules.txt')).toBeFalse();
    const filter = nameFilter(undefined, ['node_modules/', 'cache/**', 'logs/*']);
    expect(filter.excludesFolder('node_modules')).toBeTrue();
    expect(filter.excludesFolder('a/node_modules')).toBeTrue();
    expect(filter.excludesFolder('cache')).toBeTrue();
    // logs/* takes the files directly in logs, not logs/2024/x: the walk must enter it.
    expect(filter.excludesFolder('logs')).toBeFalse();
    expect(filter.keeps('logs/x')).toBeFalse();
    expect(filter.keeps('logs/2024/x')).toBeTrue();
  });

  it('includes keep only matching names; excludes win over includes', () => {
    const filter = nameFilter(['*.txt'], ['secret*']);
    expect(filter.keeps('a/b.txt')).toBeTrue();
    expect(filter.keeps('a/b.bin')).toBeFalse();
    expect(filter.keeps('secret.txt')).toBeFalse();
  });

  it('refuses malformed patterns with invalid_argument naming the option', () => {
    for (const [pattern, problem] of [
      ['[abc', '['],
      ['{a,b', '{'],
      ['a\\', '\\'],
    ]) {
      let error: unknown;
      try {
        nameFilter(undefined, ['ok', pattern]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(B2Error);
      expect((error as B2Error).code).toBe('invalid_argument');
      expect((error as B2Error).field).toBe('exclude[1]');
      expect((error as B2Error).message).toContain(problem);
    }
    expect(() => nameFilter(['' as string], undefined)).toThrowMatching((e) => e instanceof B2Error && e.field === 'include[0]');
  });
});
