/**
 * `new B2()` configured from the environment alone: B2_REALM, B2_APPLICATION_KEY_ID and
 * B2_APPLICATION_KEY (the variables the rxb2 command, the demo and the emulator print).
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { B2, B2Error } from '../../src';
import { bucketName, onlyOnEmulator, startClientEmulator, type Emu } from './support';

const NAMES = ['B2_REALM', 'B2_APPLICATION_KEY_ID', 'B2_APPLICATION_KEY', 'B2_KEY_ID'] as const;

/** Runs `body` with exactly these B2_* variables set (the others unset), then puts the caller's back. */
function withEnv<T>(vars: Partial<Record<(typeof NAMES)[number], string>>, body: () => T): T {
  const saved = NAMES.map((name) => [name, process.env[name]] as const);
  for (const name of NAMES) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('B2 from the environment', () => {
  onlyOnEmulator("configures clients from B2_* variables, which bypass the shared bucket's name mapping (its bucket would be a real one)");
  let emu: Emu;
  beforeAll(async () => (emu = await startClientEmulator()));
  afterAll(async () => emu?.close());

  it('talks to the realm in B2_REALM with the keys in B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY', async () => {
    const b2 = withEnv({ B2_REALM: emu.url, B2_APPLICATION_KEY_ID: emu.keyId, B2_APPLICATION_KEY: emu.applicationKey }, () => new B2());
    const auth = await firstValueFrom(b2.authorize());
    // Only the emulator hands out its own URL as the API URL.
    expect(auth.apiUrl).toBe(emu.url);
    const name = bucketName('env');
    await firstValueFrom(b2.buckets.create(name));
    const seen = new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url });
    expect((await lastValueFrom(seen.buckets.all().pipe(toArray()))).map((b) => b.bucketName)).toContain(name);
  });

  it('lets an explicit realm win over B2_REALM', async () => {
    // Nothing listens on port 9 of 127.0.0.1 (discard): were B2_REALM used, authorizing would fail.
    const b2 = withEnv({ B2_REALM: 'http://127.0.0.1:9' }, () => new B2({ applicationKeyId: emu.keyId, applicationKey: emu.applicationKey, realm: emu.url }));
    expect((await firstValueFrom(b2.authorize())).apiUrl).toBe(emu.url);
  });

  it('names B2_REALM when it is not a URL, before any request', () => {
    let error: unknown;
    withEnv({ B2_REALM: 'staging', B2_APPLICATION_KEY_ID: 'id', B2_APPLICATION_KEY: 'key' }, () => {
      try {
        new B2();
      } catch (err) {
        error = err;
      }
    });
    expect(error).toEqual(jasmine.any(B2Error));
    expect((error as B2Error).code).toBe('invalid_argument');
    expect((error as B2Error).field).toBe('B2_REALM');
    expect((error as B2Error).message).toBe('B2_REALM: must be an http(s) URL');
  });
});
