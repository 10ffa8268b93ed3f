/**
 * rxb2/angular in Node against the emulator: provideB2 in a real Angular environment injector,
 * the UploadTracker following two uploads (own progress as Observable and signal, cancel one,
 * uploads in flight, cancelled on destroy), and toHttpEvents producing Angular's HttpEvent union.
 * These replace the earlier spec/examples/angular-upload.service example and keep what it checked:
 * progress 0 → 1 never falling, a late subscriber sees the current value, nothing starts before it
 * is asked to, a cancel mid-way leaves no unfinished large file on B2.
 */
// Angular's HTTP classes are partially compiled: in Node (no Angular linker) the JIT compiler must be loaded first.
import '@angular/compiler';
import { HttpErrorResponse, HttpEventType, HttpHeaderResponse, HttpResponse, type HttpEvent } from '@angular/common/http';
import { DestroyRef, Injector, createEnvironmentInjector, inject, runInInjectionContext, InjectionToken, type EnvironmentInjector } from '@angular/core';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2, B2Error, B2File, uploadWithAuthorization, type Bucket } from '../../src';
import { B2_CLIENT, UploadTracker, provideB2, toHttpEvents, type B2HttpUserEvent } from '../../src/angular';
import { all, bucketName, bytes, client, delay, sha1, startClientEmulator, type Emu } from '../client/support';

/** An Angular environment injector with `providers`, as an application's root one. */
function environment(providers: Parameters<typeof createEnvironmentInjector>[0]): EnvironmentInjector {
  const root = Injector.create({ providers: [] }) as unknown as EnvironmentInjector;
  return createEnvironmentInjector(providers, root);
}

function expectClimb(values: number[]): void {
  expect(values[0]).toBe(0);
  expect(values[values.length - 1]).toBe(1);
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
}

describe('rxb2/angular', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    emu = await startClientEmulator({ absoluteMinimumPartSize: 1000, recommendedPartSize: 5000 });
    b2 = client(emu, { progressIntervalMs: 0 });
    bucket = await firstValueFrom(b2.buckets.create(bucketName('ng')));
  });

  afterAll(async () => {
    await emu.close();
  });

  afterEach(() => emu.faults.clear());

  async function versionsOf(name: string): Promise<string[]> {
    return (await all(bucket.listFileVersions({ prefix: name }))).filter((f) => f.fileName === name).map((f) => f.action);
  }

  describe('provideB2', () => {
    beforeEach(() => {
      for (const name of ['B2_APPLICATION_KEY_ID', 'B2_KEY_ID', 'B2_APPLICATION_KEY']) {
        saved[name] = process.env[name];
        delete process.env[name];
      }
    });
    afterEach(() => {
      for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    });

    it('with credentials: inject(B2_CLIENT) is one B2 client per injector, and it talks to B2', async () => {
      const injector = environment([provideB2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url })]);
      const client1 = injector.get(B2_CLIENT);
      expect(client1).toBeInstanceOf(B2);
      expect(injector.get(B2_CLIENT)).toBe(client1);
      const names = (await all(client1.buckets.all())).map((b) => b.bucketName);
      expect(names).toContain(bucket.bucketName);
      injector.destroy();
    });

    it('with a factory: run in an injection context on first injection (it may inject)', () => {
      const REALM = new InjectionToken<string>('realm');
      let calls = 0;
      const injector = environment([
        { provide: REALM, useValue: emu.url },
        provideB2(() => {
          calls++;
          return new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: inject(REALM) });
        }),
      ]);
      expect(calls).toBe(0);
      expect(injector.get(B2_CLIENT)).toBeInstanceOf(B2);
      injector.get(B2_CLIENT);
      expect(calls).toBe(1);
    });

    for (const [label, config, field] of [
      ['nothing', undefined, 'provideB2'],
      ['an empty object', {}, 'applicationKeyId'],
      ['a key id only', { applicationKeyId: 'abc' }, 'applicationKey'],
    ] as const) {
      it(`without credentials or a factory (${label}): invalid_argument at the call, naming ${field}`, () => {
        let thrown: unknown;
        try {
          provideB2(config as never);
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(B2Error);
        expect((thrown as B2Error).code).toBe('invalid_argument');
        expect((thrown as B2Error).field).toBe(field);
        expect((thrown as B2Error).message).toContain('factory');
      });
    }

    // provideB2 checks options with the client's own constructor: whatever new B2() refuses, at the call.
    it("with options the client refuses (a realm that is no URL): the client's invalid_argument at the call", () => {
      const call = () => provideB2({ applicationKeyId: 'abc', applicationKey: 'secret', realm: 'ftp://example.com' });
      expect(call).toThrowMatching((err) => err instanceof B2Error && err.code === 'invalid_argument' && err.field === 'realm' && err.message.includes('factory'));
    });

    it('with credentials, two injectors: two clients, each its own', () => {
      const providers = [provideB2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url })];
      const one = environment(providers);
      const two = environment(providers);
      expect(one.get(B2_CLIENT)).toBeInstanceOf(B2);
      expect(two.get(B2_CLIENT)).toBeInstanceOf(B2);
      expect(two.get(B2_CLIENT)).not.toBe(one.get(B2_CLIENT));
      one.destroy();
      two.destroy();
    });

    it('a factory that returns no B2 client: the first injection fails, naming provideB2', () => {
      const injector = environment([provideB2(() => ({}) as B2)]);
      expect(() => injector.get(B2_CLIENT)).toThrowMatching((err) => err instanceof B2Error && err.field === 'provideB2');
    });
  });

  describe('UploadTracker', () => {
    it('follows two uploads, each with its own progress (Observable and signal), result and state', async () => {
      const tracker = new UploadTracker();
      const a = bytes(23_000, 1);
      const b = bytes(3_000, 2);
      const ua = tracker.start('ng/a.bin', bucket.uploadFile({ contents: new Blob([a]), fileName: 'ng/a.bin', largeFileThreshold: 5000 }));
      const ub = tracker.start('ng/b.bin', bucket.uploadFile({ contents: new Blob([b]), fileName: 'ng/b.bin' }), b.length);
      expect(tracker.inFlight().map((u) => u.name)).toEqual(['ng/a.bin', 'ng/b.bin']);
      expect(await firstValueFrom(tracker.inFlight$)).toEqual([ua, ub]);
      const [pa, pb] = await Promise.all([lastValueFrom(ua.progress$.pipe(toArray())), lastValueFrom(ub.progress$.pipe(toArray()))]);
      expectClimb(pa);
      expectClimb(pb);
      expect(pa.some((p) => p > 0 && p < 1))
        .withContext(`progress of a: ${pa.join(', ')}`)
        .toBeTrue();
      expect(ua.progress()).toBe(1);
      expect(ua.state()).toBe('done');
      expect(ua.size()).toBe(23_000);
      expect(ub.state()).toBe('done');
      const fileA = ua.result() as B2File;
      expect(fileA.fileName).toBe('ng/a.bin');
      expect(((await firstValueFrom(ub.result$)) as B2File).contentSha1).toBe(sha1(b));
      expect(tracker.inFlight()).toEqual([]);
      expect(tracker.uploads().length).toBe(2);
      tracker.clear();
      expect(tracker.uploads()).toEqual([]);
    });

    it('a late subscriber gets the current progress at once; nothing starts before start()', async () => {
      const tracker = new UploadTracker();
      const upload$ = bucket.uploadFile({ contents: 'late', fileName: 'ng/late.txt' });
      await delay(30);
      expect(await versionsOf('ng/late.txt')).toEqual([]);
      const u = tracker.start('late', upload$);
      await firstValueFrom(u.result$);
      expect(await lastValueFrom(u.progress$)).toBe(1);
      expect(await versionsOf('ng/late.txt')).toEqual(['upload']);
    });

    it('cancel() stops that upload only: its large file is cancelled on B2, the other one finishes', async () => {
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 40 }, times: Infinity });
      const tracker = new UploadTracker();
      const keep = tracker.start('ng/keep.bin', bucket.uploadFile({ contents: new Blob([bytes(20_000, 3)]), fileName: 'ng/keep.bin', largeFileThreshold: 5000, concurrency: 1 }));
      const drop = tracker.start('ng/drop.bin', bucket.uploadFile({ contents: new Blob([bytes(100_000, 4)]), fileName: 'ng/drop.bin', largeFileThreshold: 5000, concurrency: 2 }));
      for (let i = 0; i < 200 && !(drop.progress() > 0 && (await versionsOf('ng/drop.bin')).includes('start')); i++) await delay(10);
      expect(await versionsOf('ng/drop.bin')).toEqual(['start']);
      drop.cancel();
      const stoppedAt = drop.progress();
      expect(drop.state()).toBe('cancelled');
      expect(stoppedAt).toBeGreaterThan(0);
      expect(stoppedAt).toBeLessThan(1);
      expect(tracker.inFlight()).toEqual([keep]);
      await expectAsync(lastValueFrom(drop.result$, { defaultValue: 'none' })).toBeResolvedTo('none');
      expect(((await firstValueFrom(keep.result$)) as B2File).fileName).toBe('ng/keep.bin');
      let left = await versionsOf('ng/drop.bin');
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await delay(20);
        left = await versionsOf('ng/drop.bin');
      }
      expect(left).toEqual([]);
      expect(drop.progress()).toBe(stoppedAt);
      expect(await versionsOf('ng/keep.bin')).toEqual(['upload']);
    });

    it('a failed upload: state failed, the B2Error in error() and on result$', async () => {
      const tracker = new UploadTracker();
      const u = tracker.start('ng/fail.txt', bucket.uploadFile({ contents: 'x', fileName: 'ng/fail.txt', contentType: 'not a type' }));
      await expectAsync(firstValueFrom(u.result$)).toBeRejectedWith(jasmine.any(B2Error));
      expect(u.state()).toBe('failed');
      expect((u.error() as B2Error).field).toBe('contentType');
      expect(tracker.inFlight()).toEqual([]);
    });

    it('created in an injection context: destroying it cancels the uploads still running', async () => {
      emu.faults.add({ call: 'b2_upload_part', fault: { kind: 'delay', ms: 40 }, times: Infinity });
      const injector = environment([]);
      const tracker = runInInjectionContext(injector, () => new UploadTracker());
      expect(runInInjectionContext(injector, () => inject(DestroyRef))).toBeDefined();
      const u = tracker.start('ng/destroyed.bin', bucket.uploadFile({ contents: new Blob([bytes(60_000, 5)]), fileName: 'ng/destroyed.bin', largeFileThreshold: 5000 }));
      for (let i = 0; i < 200 && !(await versionsOf('ng/destroyed.bin')).includes('start'); i++) await delay(10);
      injector.destroy();
      expect(u.state()).toBe('cancelled');
      let left = await versionsOf('ng/destroyed.bin');
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await delay(20);
        left = await versionsOf('ng/destroyed.bin');
      }
      expect(left).toEqual([]);
    });

    it('tracks an upload with server-issued authorizations as well', async () => {
      const tracker = new UploadTracker();
      const u = tracker.start(
        'ng/authorized.bin',
        uploadWithAuthorization({ contents: new Blob([bytes(4000, 6)]), fileName: 'ng/authorized.bin', authorizer: { uploadUrl: () => bucket.getUploadAuthorization() } }),
      );
      const file = await firstValueFrom(u.result$);
      expect(file.fileName).toBe('ng/authorized.bin');
      expect(u.progress()).toBe(1);
    });
  });

  describe('toHttpEvents', () => {
    it("turns a small upload's events into Angular's: Sent, UploadProgress, ResponseHeader, Response with the B2File", async () => {
      const events: HttpEvent<B2File>[] = await all(bucket.uploadFile({ contents: bytes(2000, 7), fileName: 'ng/http.bin' }).pipe(toHttpEvents()));
      expect(events.map((e) => e.type)).toEqual([HttpEventType.Sent, HttpEventType.UploadProgress, HttpEventType.ResponseHeader, HttpEventType.Response]);
      const progress = events[1];
      if (progress.type !== HttpEventType.UploadProgress) throw new Error('not progress');
      expect(progress.loaded).toBe(2000);
      expect(progress.total).toBe(2000);
      expect(events[2]).toBeInstanceOf(HttpHeaderResponse);
      const last = events[3];
      expect(last).toBeInstanceOf(HttpResponse);
      expect((last as HttpResponse<B2File>).status).toBe(200);
      expect((last as HttpResponse<B2File>).body?.fileName).toBe('ng/http.bin');
    });

    it("a large upload's own events arrive as User events carrying them", async () => {
      const events = await all(bucket.uploadFile({ contents: bytes(12_000, 8), fileName: 'ng/http-large.bin', largeFileThreshold: 5000 }).pipe(toHttpEvents()));
      const user = events.filter((e): e is B2HttpUserEvent<B2File> => e.type === HttpEventType.User);
      expect(user.map((e) => e.b2.type)).toEqual(['largeFileStarted', 'partUploaded', 'partUploaded', 'partUploaded']);
      expect(events[events.length - 1]).toBeInstanceOf(HttpResponse);
    });

    it('a failure: an HttpErrorResponse with the status, the B2 code and the B2Error', async () => {
      const err = await lastValueFrom(bucket.getFile({ name: 'ng/none' }).pipe(toHttpEvents() as never)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpErrorResponse);
      expect((err as HttpErrorResponse).status).toBe(404);
      expect((err as HttpErrorResponse).statusText).toBe('not_found');
      expect((err as HttpErrorResponse).error).toBeInstanceOf(B2Error);
    });
  });
});
