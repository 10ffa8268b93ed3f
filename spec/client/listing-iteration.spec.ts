import { eachValueFrom } from 'rxjs-for-await';
import { finalize, firstValueFrom, tap } from 'rxjs';
import { AxiosTransport, B2Error, type B2, type B2File, type B2HttpRequest, type B2Transport, type Bucket } from '../../src';
import { bucketName, client, countRequests, delay, startClientEmulator, upload, type Emu } from './support';

/** `for await` over a listing: pages are pulled by the loop, never pushed ahead of it. */
describe('client listing: for await', () => {
  let emu: Emu;
  let b2: B2;
  let bucket: Bucket;
  const fileNames = Array.from({ length: 50 }, (_, i) => `n/${String(i).padStart(2, '0')}.txt`);

  beforeAll(async () => {
    emu = await startClientEmulator();
    b2 = client(emu);
    bucket = await firstValueFrom(b2.buckets.create(bucketName('iter')));
    for (const name of fileNames) await upload(bucket, name, name);
  });
  afterEach(() => emu.faults.clear());
  afterAll(() => emu.close());

  /** Lets the client's requests and the server's answers run, as a real loop body would. */
  const work = () => delay(5);

  it('with an awaiting body, break after 2 files requests one page of 10 (not all 5)', async () => {
    const count = countRequests(emu, 'b2_list_file_names');
    const seen: string[] = [];
    for await (const file of bucket.listFiles({ pageSize: 10 })) {
      await work();
      seen.push(file.fileName);
      if (seen.length === 2) break;
    }
    await delay(100);
    expect(seen).toEqual(fileNames.slice(0, 2));
    expect(count()).toBe(1);
  });

  it('reads at most one page beyond what the loop consumed, and all 50 files in 5 requests when it runs to the end', async () => {
    const count = countRequests(emu, 'b2_list_file_names');
    const seen: string[] = [];
    const requestsWhenTaken: number[] = [];
    for await (const file of bucket.listFiles({ pageSize: 10 })) {
      requestsWhenTaken.push(count());
      await work();
      seen.push(file.fileName);
    }
    expect(seen).toEqual(fileNames);
    // While the loop holds file i (0-based), pages up to i / 10 + 1 are consumed, at most one more requested.
    requestsWhenTaken.forEach((requests, i) => expect(requests).toBeLessThanOrEqual(Math.floor(i / 10) + 2));
    expect(count()).toBe(5);
  });

  it('file.getVersions() and listFileVersions() page on demand as well', async () => {
    const count = countRequests(emu, 'b2_list_file_versions');
    let n = 0;
    for await (const version of bucket.listFileVersions({ pageSize: 10 })) {
      await work();
      expect(version.fileName).toBe(fileNames[n]);
      if (++n === 12) break;
    }
    await delay(100);
    expect(count()).toBe(2);
    const [first] = await new Promise<B2File[]>((resolve) => {
      const out: B2File[] = [];
      bucket.listFiles({ pageSize: 1 }).subscribe({ next: (f) => out.push(f), complete: () => resolve(out) });
    });
    let versions = 0;
    for await (const version of first.getVersions()) {
      await work();
      expect(version.fileName).toBe(first.fileName);
      versions++;
    }
    expect(versions).toBe(1);
  });

  it('eachValueFrom (rxjs-for-await) buffers what the Observable pushes: it pages ahead of an awaiting loop', async () => {
    // Why the README points listings at plain `for await`: the bridge for other Observables does not pull.
    const count = countRequests(emu, 'b2_list_file_names');
    let n = 0;
    for await (const _ of eachValueFrom(bucket.listFiles({ pageSize: 10 }))) {
      await delay(50);
      if (++n === 2) break;
    }
    await delay(100);
    expect(count()).toBeGreaterThan(1);
  });

  it('break while the next page is in flight aborts that request and requests nothing more', async () => {
    let aborted = 0;
    const axios = new AxiosTransport();
    const transport: B2Transport = {
      request: <T>(req: B2HttpRequest) => {
        let answered = false;
        return axios.request<T>(req).pipe(
          tap((e) => (answered ||= e.type === 'response')),
          finalize(() => {
            if (!answered && req.operation === 'b2_list_file_names') aborted++;
          }),
        );
      },
    };
    const counted = client(emu, { transport });
    const listed = await firstValueFrom(counted.buckets.get(bucket.bucketName));
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'delay', ms: 300 }, times: Infinity, skip: 1 });
    const count = countRequests(emu, 'b2_list_file_names'); // page 1 here, page 2 by the delay rule (also a `delay`)
    let n = 0;
    for await (const _ of listed.listFiles({ pageSize: 10 })) {
      // Taking file 10 empties what the loop holds: page 2 is requested while this body runs.
      if (++n === 10) {
        await delay(100);
        break;
      }
    }
    await delay(400);
    expect(n).toBe(10);
    expect(count()).toBe(2);
    expect(aborted).toBe(1);
  });

  it('a failing page: the files received before it come first, then the loop throws the B2Error', async () => {
    const b2NoRetry = client(emu, { retry: false });
    const listed = await firstValueFrom(b2NoRetry.buckets.get(bucket.bucketName));
    emu.faults.add({ call: 'b2_list_file_names', fault: { kind: 'status', status: 500 }, times: 1, skip: 1 });
    const count = countRequests(emu, 'b2_list_file_names');
    const seen: string[] = [];
    let error: unknown;
    try {
      for await (const file of listed.listFiles({ pageSize: 10 })) {
        await work();
        seen.push(file.fileName);
      }
    } catch (err) {
      error = err;
    }
    expect(seen).toEqual(fileNames.slice(0, 10));
    expect(error).toBeInstanceOf(B2Error);
    expect((error as B2Error).status).toBe(500);
    expect(count()).toBe(1); // the counter sits behind the fault: it saw page 1 only
  });

  it('is cold: nothing is requested before the first next(), and two loops are two runs', async () => {
    const count = countRequests(emu, 'b2_list_file_names');
    const listing = bucket.listFiles({ pageSize: 10 });
    const iterator = listing[Symbol.asyncIterator]();
    await delay(50);
    expect(count()).toBe(0);
    expect((await iterator.next()).value.fileName).toBe(fileNames[0]);
    await iterator.return!();
    let again = 0;
    for await (const _ of listing) if (++again === 3) break;
    expect(count()).toBe(2);
    // An iterator closed before its first next() never starts.
    const closed = listing[Symbol.asyncIterator]();
    await closed.return!();
    expect(await closed.next()).toEqual({ value: undefined, done: true });
    await delay(50);
    expect(count()).toBe(2);
  });
});
