/**
 * The published package, as a user gets it: `npm pack` (which runs `prepack` → `build:package`),
 * the tarball installed into a scratch project in the OS temp directory, then that project
 * imports `rxb2`, `rxb2/operators` and `rxb2/emulator` from ES modules and from CommonJS, does an
 * upload/download round-trip against the installed emulator, runs the `rxb2-emulator` bin,
 * type-checks both module flavours, and bundles the client for the browser with esbuild. The
 * `rxb2/angular` entry: its files, its optional Angular peers, and a scratch Angular app using it
 * compiled by Angular's compiler with strictTemplates (with examples/angular's node_modules).
 *
 * Slow by nature (two TypeScript builds and an npm install, ~20–40 s): one shared setup, and
 * generous timeouts.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';

const run = promisify(execFile);
/** The repository, seen from dist/spec/packaging. */
const REPO = resolve(__dirname, '../../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SETUP_TIMEOUT = 240_000;
const SPEC_TIMEOUT = 60_000;

/** The environment for npm and node children: the cache first, and no trace of an outer `npm run`. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/i.test(name) || /^npm_config_(local_prefix|prefix|global)$/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

async function sh(file: string, args: string[], cwd: string, timeout = SPEC_TIMEOUT): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, env: childEnv(), timeout, maxBuffer: 64 << 20, shell: process.platform === 'win32' });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** The JSON line a scratch script prints last. */
async function runScript<T>(app: string, script: string): Promise<T> {
  const out = await sh(process.execPath, [script], app);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

interface RoundTrip {
  text: string;
  consoleBundled: boolean;
  resolved: Record<'main' | 'operators' | 'emulator', string> & { angular?: string };
  operators: string[];
  sameOperator: boolean;
}

const ROUND_TRIP_BODY = (label: string) => `
  const emu = await startEmulator({ port: 0, console: true });
  try {
    const b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    const bucket = await lastValueFrom(b2.buckets.create('${label}-bucket', { type: 'allPrivate' }));
    const file = await lastValueFrom(
      bucket.uploadFile({ contents: 'hello from ${label}', fileName: 'dir/hello.txt' }).pipe(throttleProgress(), toResponseBody(), retryB2({ maxAttempts: 2 })),
    );
    const { body } = await lastValueFrom(file.downloadToBuffer());
    const consoleScript = await (await fetch(emu.url + '/console/app.js')).text();
    console.log(JSON.stringify({
      text: new TextDecoder().decode(body.data),
      consoleBundled: consoleScript.includes('Unfinished large files'),
      resolved,
      operators: [retryB2, paginate, toResponseBody, throttleProgress].map((f) => typeof f),
      sameOperator: mainToResponseBody === toResponseBody,
    }));
  } finally {
    await emu.close();
  }
`;

const ESM_SCRIPT = `
import { B2, toResponseBody as mainToResponseBody } from 'rxb2';
import { retryB2, paginate, toResponseBody, throttleProgress } from 'rxb2/operators';
import { startEmulator } from 'rxb2/emulator';
import { lastValueFrom } from 'rxjs';
import { fileURLToPath } from 'node:url';

const resolved = Object.fromEntries(
  [['main', 'rxb2'], ['operators', 'rxb2/operators'], ['emulator', 'rxb2/emulator'], ['angular', 'rxb2/angular']].map(([k, s]) => [k, fileURLToPath(import.meta.resolve(s))]),
);
${ROUND_TRIP_BODY('esm')}
`;

const CJS_SCRIPT = `
const { B2, toResponseBody: mainToResponseBody } = require('rxb2');
const { retryB2, paginate, toResponseBody, throttleProgress } = require('rxb2/operators');
const { startEmulator } = require('rxb2/emulator');
const { lastValueFrom } = require('rxjs');

const resolved = { main: require.resolve('rxb2'), operators: require.resolve('rxb2/operators'), emulator: require.resolve('rxb2/emulator') };
(async () => {
${ROUND_TRIP_BODY('cjs')}
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

/** Uses each entry's types; compiled as ESM (.mts) and as CommonJS (.cts) under node16 resolution. */
const TYPES_CHECK = `
import { lastValueFrom } from 'rxjs';
import { B2, B2Error, toResponseBody, type B2UploadEvent, type B2File } from 'rxb2';
import { retryB2, type RetryB2Options } from 'rxb2/operators';
import { startEmulator, type RunningEmulator } from 'rxb2/emulator';

export async function upload(text: string, options: RetryB2Options): Promise<B2File> {
  const emu: RunningEmulator = await startEmulator({ port: 0 });
  try {
    const b2 = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    const bucket = await lastValueFrom(b2.buckets.create('types', { type: 'allPrivate' }));
    const events = bucket.uploadFile({ contents: text, fileName: 'a.txt' });
    const last: B2UploadEvent = await lastValueFrom(events);
    if (last.type !== 'response') throw new B2Error({ status: 500, code: 'unexpected', message: last.type });
    return await lastValueFrom(events.pipe(toResponseBody(), retryB2(options)));
  } finally {
    await emu.close();
  }
}
`;

const TYPES_TSCONFIG = {
  compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, types: [] },
  files: ['types.mts', 'types.cts'],
};

/** A scratch Angular app: bootstrapping with provideB2, HttpClient code consuming toHttpEvents. */
const NG_MAIN = `
import { provideHttpClient, HttpEventType, type HttpEvent } from '@angular/common/http';
import { bootstrapApplication } from '@angular/platform-browser';
import { map, type Observable } from 'rxjs';
import { B2, type B2File, type Bucket } from 'rxb2';
import { B2_CLIENT, provideB2, toHttpEvents } from 'rxb2/angular';
import { UploadsComponent } from './uploads.component';

export function percentDone(bucket: Bucket, file: File): Observable<number | B2File | null> {
  return bucket.uploadFile({ contents: file, fileName: file.name }).pipe(
    toHttpEvents<B2File>(),
    map((event: HttpEvent<B2File>) => (event.type === HttpEventType.UploadProgress ? event.loaded / (event.total ?? 1) : event.type === HttpEventType.Response ? event.body : 0)),
  );
}

bootstrapApplication(UploadsComponent, {
  providers: [provideHttpClient(), provideB2(() => new B2({ applicationKeyId: 'id', applicationKey: 'key' }))],
}).then((ref) => ref.injector.get(B2_CLIENT).authorize().subscribe(), (err: unknown) => console.error(err));
`;

const NG_COMPONENT = (extra: string) => `
import { Component, input } from '@angular/core';
import { uploadWithAuthorization, type B2FileWire } from 'rxb2';
import { UploadTracker } from 'rxb2/angular';

@Component({ selector: 'app-size', template: '{{ bytes() }}' })
export class SizeComponent {
  readonly bytes = input.required<number>();
}

@Component({
  selector: 'app-uploads',
  imports: [SizeComponent],
  template: \`
    <input type="file" (change)="pick($event)" />
    @for (upload of tracker.uploads(); track upload.id) {
      <progress max="1" [value]="upload.progress()"></progress> {{ upload.name }} {{ upload.state() }}
      <button type="button" (click)="upload.cancel()" [disabled]="upload.state() !== 'uploading'">Cancel</button>
      ${extra}
    }
    <p>{{ tracker.inFlight().length }} in flight</p>
  \`,
})
export class UploadsComponent {
  readonly tracker = new UploadTracker();

  pick(event: Event): void {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    const upload = this.tracker.start<B2FileWire>(file.name, uploadWithAuthorization({ contents: file, fileName: file.name, authorizer: { uploadUrl: () => fetch('/api/upload-url').then((r) => r.json()) } }), file.size);
    upload.result$.subscribe((uploaded: B2FileWire) => console.log(uploaded.fileId));
  }
}
`;

const NG_TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'es2022',
    module: 'es2022',
    moduleResolution: 'bundler',
    lib: ['es2022', 'dom'],
    types: [],
    skipLibCheck: true,
    outDir: 'out',
    rootDir: '.',
    experimentalDecorators: false,
  },
  angularCompilerOptions: { strictTemplates: true, strictInjectionParameters: true, strictInputAccessModifiers: true },
  files: ['src/main.ts'],
};

describe('the packed package (npm pack, installed in a scratch project)', () => {
  let temp = '';
  let app = '';
  let packed: string[] = [];
  let tarball = '';

  beforeAll(async () => {
    temp = mkdtempSync(join(tmpdir(), 'rxb2-pack-'));
    const out = await sh(NPM, ['pack', '--json', '--pack-destination', temp], REPO, SETUP_TIMEOUT);
    // prepack's own output comes first on stdout; the JSON report is the rest.
    const report = JSON.parse(out.slice(out.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
    packed = report[0].files.map((f) => f.path);
    tarball = join(
      temp,
      readdirSync(temp).find((f) => f.endsWith('.tgz'))!,
    );

    app = join(temp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'rxb2-pack-check', version: '1.0.0', private: true }));
    await sh(NPM, ['install', tarball, '--no-audit', '--no-fund', '--no-package-lock'], app, SETUP_TIMEOUT);
    writeFileSync(join(app, 'round-trip.mjs'), ESM_SCRIPT);
    writeFileSync(join(app, 'round-trip.cjs'), CJS_SCRIPT);
    writeFileSync(join(app, 'types.mts'), TYPES_CHECK);
    writeFileSync(join(app, 'types.cts'), TYPES_CHECK);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TYPES_TSCONFIG));
  }, SETUP_TIMEOUT);

  afterAll(() => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  it('ships both builds with declarations, and no sources, specs or dist', () => {
    for (const entry of ['', 'operators/', 'emulator/', 'angular/']) {
      for (const build of ['esm', 'cjs']) {
        expect(packed).toContain(`lib/${build}/${entry}index.js`);
        expect(packed).toContain(`lib/${build}/${entry}index.d.ts`);
      }
    }
    expect(packed).toContain('lib/esm/package.json');
    expect(packed).toContain('package.json');
    expect(packed.filter((p) => /^(src|spec|dist|bench|scripts)\//.test(p))).toEqual([]);
    // Source maps would point at src/, which is not shipped.
    expect(packed.filter((p) => p.endsWith('.map'))).toEqual([]);
    expect(packed).toContain('LICENSE');
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'rxb2', 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    expect(Object.keys(installed.bin ?? {})).toContain('rxb2-emulator');
    for (const [name, target] of Object.entries(installed.bin ?? {})) {
      expect(packed).withContext(`bin ${name}`).toContain(target.replace(/^\.\//, ''));
    }
  });

  it('takes Angular as an optional peer dependency: installing rxb2 brings no Angular', () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'rxb2', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      exports: Record<string, unknown>;
      typesVersions: Record<string, Record<string, string[]>>;
    };
    for (const name of ['@angular/core', '@angular/common']) {
      expect(installed.peerDependencies?.[name]).withContext(name).toBeDefined();
      expect(installed.peerDependenciesMeta?.[name]?.optional).withContext(name).toBeTrue();
      expect(Object.keys(installed.dependencies ?? {})).not.toContain(name);
    }
    expect(existsSync(join(app, 'node_modules', '@angular'))).toBe(false);
    expect(Object.keys(installed.exports)).toContain('./angular');
    expect(installed.typesVersions['*']['angular']).toEqual(['./lib/cjs/angular/index.d.ts']);
  });

  it('takes rxjs as a peer dependency: the app and rxb2 share one copy of rxjs', () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'rxb2', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    expect(installed.peerDependencies?.['rxjs']).toMatch(/^\^7\./);
    expect(Object.keys(installed.dependencies ?? {})).not.toContain('rxjs');
    // npm installs the peer beside rxb2, never a second copy inside it (instanceof Observable holds).
    expect(existsSync(join(app, 'node_modules', 'rxjs', 'package.json'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'rxb2', 'node_modules', 'rxjs'))).toBe(false);
  });

  it(
    'imports all three entries from an ES module (lib/esm) and round-trips a file through the emulator',
    async () => {
      const result = await runScript<RoundTrip>(app, 'round-trip.mjs');
      expect(result.text).toBe('hello from esm');
      expect(result.consoleBundled).withContext('the console page script is shipped (lib/esm/emulator/console/bundle.js)').toBe(true);
      expect(result.operators).toEqual(['function', 'function', 'function', 'function']);
      expect(result.sameOperator).toBe(true);
      expect(result.resolved.main).toMatch(/node_modules[\\/]rxb2[\\/]lib[\\/]esm[\\/]index\.js$/);
      expect(result.resolved.operators).toMatch(/lib[\\/]esm[\\/]operators[\\/]index\.js$/);
      expect(result.resolved.emulator).toMatch(/lib[\\/]esm[\\/]emulator[\\/]index\.js$/);
      expect(result.resolved.angular).toMatch(/lib[\\/]esm[\\/]angular[\\/]index\.js$/);
    },
    SPEC_TIMEOUT,
  );

  it(
    'requires all three entries from CommonJS (lib/cjs) and round-trips a file through the emulator',
    async () => {
      const result = await runScript<RoundTrip>(app, 'round-trip.cjs');
      expect(result.text).toBe('hello from cjs');
      expect(result.consoleBundled).withContext('the console page script is shipped (lib/cjs/emulator/console/bundle.js)').toBe(true);
      expect(result.operators).toEqual(['function', 'function', 'function', 'function']);
      expect(result.sameOperator).toBe(true);
      expect(result.resolved.main).toMatch(/node_modules[\\/]rxb2[\\/]lib[\\/]cjs[\\/]index\.js$/);
      expect(result.resolved.operators).toMatch(/lib[\\/]cjs[\\/]operators[\\/]index\.js$/);
      expect(result.resolved.emulator).toMatch(/lib[\\/]cjs[\\/]emulator[\\/]index\.js$/);
    },
    SPEC_TIMEOUT,
  );

  it(
    'type-checks against the shipped declarations, as ESM and as CommonJS (node16 resolution)',
    async () => {
      const tsc = require.resolve('typescript/bin/tsc', { paths: [REPO] });
      await expectAsync(sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app)).toBeResolved();
    },
    SPEC_TIMEOUT,
  );

  it(
    'runs the rxb2-emulator bin',
    async () => {
      const bin = join(app, 'node_modules', '.bin', process.platform === 'win32' ? 'rxb2-emulator.cmd' : 'rxb2-emulator');
      const child = spawn(bin, ['--port', '0'], { cwd: app, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
      let output = '';
      try {
        const url = await new Promise<string>((resolveUrl, reject) => {
          const timer = setTimeout(() => reject(new Error(`no "listening" line within 20 s:\n${output}`)), 20_000);
          const onData = (chunk: Buffer) => {
            output += chunk.toString();
            const match = /listening on (http:\/\/\S+)/.exec(output);
            if (match) {
              clearTimeout(timer);
              resolveUrl(match[1]);
            }
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', onData);
          child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`rxb2-emulator exited with ${code}:\n${output}`));
          });
        });
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      } finally {
        if (child.exitCode === null) {
          const gone = new Promise((done) => child.once('exit', done));
          child.kill('SIGTERM');
          await gone;
        }
      }
    },
    SPEC_TIMEOUT,
  );

  it(
    'runs the rxb2 bin, one bundled file: its version, and a sync up into the emulator it starts (rxb2 emulator), then again with nothing to do',
    async () => {
      const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'rxb2', 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
      // One file: the client, rxjs and commander inside; only Node's modules, the emulator's files and axios (behind a proxy) outside.
      const code = readFileSync(join(app, 'node_modules', 'rxb2', installed.bin.rxb2), 'utf8');
      const outside = [...code.matchAll(/\b(?:require|import)\("([^"]+)"\)/g)].map((m) => m[1]).filter((name) => !name.startsWith('node:') && !builtinModules.includes(name));
      expect([...new Set(outside)].sort()).toEqual(['../emulator/faults.js', '../emulator/index.js', '../emulator/routes.js', 'axios']);

      const bin = join(app, 'node_modules', '.bin', process.platform === 'win32' ? 'rxb2.cmd' : 'rxb2');
      const rxb2 = (args: string[], env: Record<string, string> = {}) =>
        run(bin, args, { cwd: app, env: { ...childEnv(), ...env }, timeout: SPEC_TIMEOUT, shell: process.platform === 'win32' });
      expect((await rxb2(['--version'])).stdout.trim()).toBe(installed.version);

      const emulator = spawn(bin, ['emulator', '--port', '0'], { cwd: app, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
      let output = '';
      try {
        const credentials = await new Promise<Record<string, string>>((resolveEnv, reject) => {
          const timer = setTimeout(() => reject(new Error(`no "export" line within 20 s:\n${output}`)), 20_000);
          const onData = (chunk: Buffer) => {
            output += chunk.toString();
            const line = /^export (.+)$/m.exec(output);
            if (line) {
              clearTimeout(timer);
              resolveEnv(Object.fromEntries(line[1].split(' ').map((pair) => pair.split('=') as [string, string])));
            }
          };
          emulator.stdout.on('data', onData);
          emulator.stderr.on('data', onData);
          emulator.once('exit', (exit) => {
            clearTimeout(timer);
            reject(new Error(`rxb2 emulator exited with ${exit}:\n${output}`));
          });
        });
        // The emulator, outside the bundle, serves its console page from beside it.
        expect(await (await fetch(`${credentials.B2_REALM}/console/app.js`)).text()).toContain('Unfinished large files');

        const bucket = `bin-sync-${Date.now().toString(36)}`;
        await rxb2(['buckets', 'create', bucket], credentials);
        const folder = join(temp, 'sync-folder');
        mkdirSync(join(folder, 'sub'), { recursive: true });
        writeFileSync(join(folder, 'a.txt'), 'one');
        writeFileSync(join(folder, 'sub', 'b.txt'), 'two two');
        const summary = async () => {
          const out = await rxb2(['sync', folder, `b2://${bucket}/backup`, '--json', '--concurrency', '16'], credentials);
          return (JSON.parse(out.stdout.trim().split('\n').pop()!) as { sync: { upload: number; skip: number; bytes: number } }).sync;
        };
        expect(await summary()).toEqual(jasmine.objectContaining({ upload: 2, skip: 0, bytes: 10 }));
        const listed = await rxb2(['ls', `${bucket}/backup/`, '--recursive', '--json'], credentials);
        expect(
          listed.stdout
            .trim()
            .split('\n')
            .map((line) => (JSON.parse(line) as { fileName: string }).fileName)
            .sort(),
        ).toEqual(['backup/a.txt', 'backup/sub/b.txt']);
        expect(await summary()).toEqual(jasmine.objectContaining({ upload: 0, skip: 2, bytes: 0 }));
      } finally {
        if (emulator.exitCode === null) {
          const gone = new Promise((done) => emulator.once('exit', done));
          emulator.kill('SIGTERM');
          await gone;
        }
      }
    },
    SPEC_TIMEOUT,
  );

  describe('bundled by esbuild for platform browser', () => {
    /** Node built-ins are left external, so that pulling one in shows up as an import rather than a build error. */
    const bundle = (contents: string) =>
      esbuild.build({
        stdin: { contents, resolveDir: app, sourcefile: 'entry.js' },
        absWorkingDir: app,
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        metafile: true,
        outfile: join(app, 'out', 'bundle.js'),
        external: ['node:*', ...builtinModules],
        logLevel: 'silent',
      });
    /** The browser platform may not be written yet; its specs wait for it rather than fail. */
    const needsBrowserPlatform = (build: 'esm' | 'cjs') => {
      const browser = join(app, 'node_modules', 'rxb2', 'lib', build, 'platform', 'browser.js');
      if (!existsSync(browser)) pending(`src/platform/browser.ts is not in the package yet (no lib/${build}/platform/browser.js)`);
    };
    const expectBrowserOnly = (result: esbuild.BuildResult<{ metafile: true; write: false }>, build: 'esm' | 'cjs') => {
      const inputs = Object.keys(result.metafile.inputs);
      const output = Object.values(result.metafile.outputs)[0];
      expect(inputs.filter((p) => /rxb2[\\/]lib[\\/].*[\\/]emulator[\\/]/.test(p))).toEqual([]);
      expect(inputs.filter((p) => /platform[\\/]node\.js$/.test(p))).toEqual([]);
      expect(inputs.filter((p) => /http[\\/]node-[\w-]+\.js$/.test(p))).toEqual([]);
      expect(inputs).toContain(`node_modules/rxb2/lib/${build}/http/browser-axios.js`);
      // The main entry never imports Angular: nothing of it, nor of rxb2/angular, in the bundle.
      expect(inputs.filter((p) => /@angular|rxb2[\\/]lib[\\/]\w+[\\/]angular[\\/]/.test(p))).toEqual([]);
      expect(output.imports.filter((i) => i.path.startsWith('@angular'))).toEqual([]);
      expect(inputs).toContain(`node_modules/rxb2/lib/${build}/platform/browser.js`);
      expect(output.imports.map((i) => i.path)).toEqual([]);
      const text = result.outputFiles[0].text;
      expect(text).not.toMatch(/(from\s*|import\s*\(?\s*|require\(\s*)["']node:/);
      expect(text).not.toMatch(/startEmulator|EmulatorServer/);
    };

    it(
      'bundles the main entry (ESM build) with the browser platform and nothing of the emulator or Node',
      async () => {
        needsBrowserPlatform('esm');
        const result = await bundle(`export * from 'rxb2'; export * from 'rxb2/operators';`);
        expectBrowserOnly(result, 'esm');
      },
      SPEC_TIMEOUT,
    );

    it(
      'bundles the main entry required as CommonJS (CJS build) with the browser platform',
      async () => {
        needsBrowserPlatform('cjs');
        const result = await bundle(`const rxb2 = require('rxb2'); const operators = require('rxb2/operators'); export { rxb2, operators };`);
        expectBrowserOnly(result, 'cjs');
      },
      SPEC_TIMEOUT,
    );

    it(
      'drops what is not imported (sideEffects: false): an operator alone brings no client, axios or platform',
      async () => {
        const result = await bundle(`import { retryB2 } from 'rxb2/operators'; console.log(retryB2);`);
        const included = Object.entries(Object.values(result.metafile.outputs)[0].inputs)
          .filter(([, input]) => input.bytesInOutput > 0)
          .map(([path]) => path);
        expect(included.filter((p) => /axios|platform|client\.js|emulator/.test(p))).toEqual([]);
        expect(included).toContain('node_modules/rxb2/lib/esm/operators/retry-b2.js');
      },
      SPEC_TIMEOUT,
    );
  });
  describe('rxb2/angular in a scratch Angular app (Angular compiler, strictTemplates)', () => {
    /** The example's install: Angular's compiler, rxjs and axios (bash .ci/install-angular-example.sh). */
    const EXAMPLE = join(REPO, 'examples', 'angular');
    const NGC = join(EXAMPLE, 'node_modules', '@angular', 'compiler-cli', 'bundles', 'src', 'bin', 'ngc.js');
    const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
    let scratch = '';

    beforeAll(async () => {
      if (!existsSync(NGC)) return;
      // Inside the example, so that Node's resolution finds Angular, rxjs and axios in its node_modules;
      // rxb2 itself is the packed tarball, unpacked as npm would.
      scratch = mkdtempSync(join(EXAMPLE, '.scratch-'));
      mkdirSync(join(scratch, 'node_modules', 'rxb2'), { recursive: true });
      await sh('tar', ['-xzf', tarball, '-C', join(scratch, 'node_modules', 'rxb2'), '--strip-components=1'], scratch);
      mkdirSync(join(scratch, 'src'));
      writeFileSync(join(scratch, 'src', 'main.ts'), NG_MAIN);
      writeFileSync(join(scratch, 'src', 'uploads.component.ts'), NG_COMPONENT(''));
      writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify(NG_TSCONFIG));
    }, SETUP_TIMEOUT);

    afterAll(() => {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    const needsExample = () => {
      if (existsSync(NGC)) return;
      if (CI) throw new Error('examples/angular/node_modules is missing and CI is set: bash .ci/install-angular-example.sh');
      pending('needs examples/angular/node_modules: bash .ci/install-angular-example.sh');
    };

    it(
      'compiles an app that uses provideB2, the upload tracker in a template and toHttpEvents',
      async () => {
        needsExample();
        await expectAsync(sh(process.execPath, [NGC, '-p', 'tsconfig.json'], scratch, SETUP_TIMEOUT)).toBeResolved();
        // The packed build was used, not the repository's sources.
        expect(readFileSync(join(scratch, 'out', 'src', 'main.js'), 'utf8')).toContain("from 'rxb2/angular'");
      },
      SETUP_TIMEOUT,
    );

    it(
      'and strictTemplates holds: a tracked upload size (number | undefined) bound to a required number input fails',
      async () => {
        needsExample();
        writeFileSync(join(scratch, 'src', 'uploads.component.ts'), NG_COMPONENT('<app-size [bytes]="upload.size()" />'));
        try {
          const failed = await sh(process.execPath, [NGC, '-p', 'tsconfig.json'], scratch, SETUP_TIMEOUT).then(
            () => '',
            (err: Error) => err.message,
          );
          expect(failed).toContain("Type 'number | undefined' is not assignable to type 'number'");
        } finally {
          writeFileSync(join(scratch, 'src', 'uploads.component.ts'), NG_COMPONENT(''));
        }
      },
      SETUP_TIMEOUT,
    );
  });
});
