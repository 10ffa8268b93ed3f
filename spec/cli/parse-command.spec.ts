/** Parsing the rxb2 command line: commands as values, usage errors as exit code 2, help as 0. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommand, type ParseResult } from '../../src/cli/rxb2';
import { EXIT_CODES } from '../../src/cli/errors';
import { formatListingRow, parseByteSize } from '../../src/cli/format';

/** The output options when no global flag is given. */
const PLAIN = { json: false, quiet: false, verbose: false, progress: undefined, retries: undefined };

function parse(...argv: string[]): { result: ParseResult; out: string; err: string } {
  let out = '';
  let err = '';
  const result = parseCommand(argv, { writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  return { result, out, err };
}

describe('rxb2 parseCommand', () => {
  it('parses every command into one value', () => {
    expect(parse('buckets', 'ls').result).toEqual({ options: PLAIN, command: { name: 'buckets ls' } });
    expect(parse('buckets', 'create', 'my-bucket', '--public').result).toEqual({ options: PLAIN, command: { name: 'buckets create', bucket: 'my-bucket', public: true } });
    expect(parse('buckets', 'create', 'my-bucket').result).toEqual({ options: PLAIN, command: { name: 'buckets create', bucket: 'my-bucket', public: false } });
    expect(parse('buckets', 'rm', 'my-bucket').result).toEqual({ options: PLAIN, command: { name: 'buckets rm', bucket: 'my-bucket' } });
    expect(parse('ls', 'my-bucket/photos/2020', '-r', '--versions').result).toEqual({
      options: PLAIN,
      command: { name: 'ls', bucket: 'my-bucket', prefix: 'photos/2020', recursive: true, versions: true },
    });
    expect(parse('ls', 'my-bucket').result).toEqual({ options: PLAIN, command: { name: 'ls', bucket: 'my-bucket', prefix: '', recursive: false, versions: false } });
    expect(parse('download', 'b/a/b c.txt', './x', '--concurrency', '8', '--part-size', '16MiB').result).toEqual({
      options: PLAIN,
      command: { name: 'download', bucket: 'b', fileName: 'a/b c.txt', file: './x', concurrency: 8, partSize: 16 * 2 ** 20 },
    });
    expect(parse('rm', 'b/x', '--all-versions').result).toEqual({ options: PLAIN, command: { name: 'rm', bucket: 'b', fileName: 'x', allVersions: true } });
    expect(parse('hide', 'b/x').result).toEqual({ options: PLAIN, command: { name: 'hide', bucket: 'b', fileName: 'x' } });
    expect(parse('emulator', '--port', '0', '--data', '/tmp/d').result).toEqual({
      options: PLAIN,
      command: { name: 'emulator', flags: { host: '127.0.0.1', port: 0, data: '/tmp/d', console: true } },
    });
  });

  it('takes the upload name from the file when the target is a bucket or ends with /', () => {
    const upload = (target: string) => {
      const { result } = parse('upload', 'dir/photo.jpg', target, '--part-size', '5MB', '--concurrency', '2', '--resume');
      return 'command' in result && result.command.name === 'upload' ? result.command : undefined;
    };
    expect(upload('b/x/y.jpg')).toEqual(jasmine.objectContaining({ bucket: 'b', fileName: 'x/y.jpg', partSize: 5_000_000, concurrency: 2, resume: true }));
    expect(upload('b/x/')?.fileName).toBe('x/photo.jpg');
    expect(upload('b')?.fileName).toBe('photo.jpg');
  });

  it('ends usage errors with exit code 2 and a message on stderr', () => {
    const cases: Array<[string[], RegExp]> = [
      [['frob'], /unknown command 'frob'/],
      [[], /Usage: rxb2/],
      [['buckets'], /Usage: rxb2 buckets/],
      [['upload', 'only-a-file'], /missing required argument/],
      [['download', 'bucket-without-name', 'x'], /expected BUCKET\/NAME/],
      [['rm', '/x'], /expected BUCKET/],
      [['upload', 'f', 'b/x', '--concurrency', '0'], /from 1 to 64/],
      [['upload', 'f', 'b/x', '--part-size', 'lots'], /byte count/],
      [['ls', 'b', '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const { result, out, err } = parse(...argv);
      expect(result).withContext(argv.join(' ')).toEqual({ exitCode: 2 });
      expect(err).withContext(argv.join(' ')).toMatch(message);
      expect(out).withContext(argv.join(' ')).toBe('');
    }
  });

  // The emulator's flags go through the same value parsers as the other commands' (src/cli/flag-values.ts):
  // the same messages, naming the flag, whichever spelling runs them.
  it('rxb2 emulator: bad flag values are usage errors naming the flag, as for every other command', () => {
    const cases: [string[], string][] = [
      [['emulator', '--token-lifetime', '0'], "rxb2: --token-lifetime: expected a whole number of at least 1, not '0'"],
      [['emulator', '--min-part-size', 'lots'], "rxb2: --min-part-size: expected a byte count such as 5000, 100MB or 64MiB, not 'lots'"],
      [['emulator', '--part-size', '1.5'], "rxb2: --part-size: expected a byte count such as 5000, 100MB or 64MiB, not '1.5'"],
      [['emulator', '--port', '70000'], "rxb2: --port: expected a whole number from 0 to 65535, not '70000'"],
    ];
    for (const [argv, message] of cases) {
      const { result, out, err } = parse(...argv);
      expect(result).withContext(argv.join(' ')).toEqual({ exitCode: 2 });
      expect(err.trim()).withContext(argv.join(' ')).toBe(message);
      expect(out).withContext(argv.join(' ')).toBe('');
    }
    const { result } = parse('emulator', '--port', '0', '--token-lifetime', '60', '--part-size', '64MiB');
    expect(result).toEqual(
      jasmine.objectContaining({
        command: jasmine.objectContaining({ name: 'emulator', flags: jasmine.objectContaining({ port: 0, tokenLifetime: 60, partSize: 64 * 2 ** 20 }) }),
      }),
    );
  });

  it('prints help and the version with exit code 0', () => {
    const help = parse('--help');
    expect(help.result).toEqual({ exitCode: 0 });
    expect(help.out).toContain('B2_APPLICATION_KEY_ID');
    expect(help.out).toContain('upload [options] <file> <bucket/name>');
    expect(parse('upload', '--help').out).toContain('--resume');
    expect(parse('--version').out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('rxb2 exit codes', () => {
  it('are the same table in --help and in the README', () => {
    const help = parse('--help').out;
    // This file runs from dist/spec/cli: the README is three levels up.
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The rxb2 command'), readme.indexOf('## Benchmarks'));
    const readmeRows = [...section.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(readmeRows).toEqual(EXIT_CODES.map(([code, meaning]) => [code, meaning]));
    for (const [code, meaning] of EXIT_CODES) expect(help).toContain(`${String(code).padStart(3)}  ${meaning}`);
    expect(EXIT_CODES.map(([code]) => code)).toEqual([0, 1, 2, 3, 4, 130]);
  });
});

describe('rxb2 formatting', () => {
  it('reads byte sizes with decimal and binary units', () => {
    expect(parseByteSize('5000')).toBe(5000);
    expect(parseByteSize('5MB')).toBe(5_000_000);
    expect(parseByteSize('5m')).toBe(5_000_000);
    expect(parseByteSize('100k')).toBe(100_000);
    expect(parseByteSize('64MiB')).toBe(64 * 2 ** 20);
    expect(parseByteSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    for (const bad of ['', '0', '-1', 'x', '1.5', 'iB', '5 parsecs']) expect(parseByteSize(bad)).withContext(bad).toBeUndefined();
  });

  it('prints a listing row as size, date, name (name last)', () => {
    const row = { fileName: 'a b.txt', fileId: 'id1', contentLength: 42, uploadTimestamp: Date.UTC(2024, 4, 1, 12, 34, 56), action: 'upload' };
    expect(formatListingRow(row, false)).toBe('          42  2024-05-01 12:34:56  a b.txt');
    expect(formatListingRow(row, true)).toBe('          42  2024-05-01 12:34:56  upload  id1  a b.txt');
    expect(formatListingRow({ ...row, fileName: 'dir/', action: 'folder', contentLength: 0, uploadTimestamp: 0 }, false)).toBe('           -  -                    dir/');
  });
});
