/**
 * Interop: Debian's b2sdk 1.17 (native API v2, Python) against the emulator.
 * The steps live in b2sdk_interop.py (each prints `STEP ok <name>`); this spec starts the
 * emulator in-process, runs the script with the system python and checks every step passed.
 */
import { startEmulator } from '../../src/emulator';
import { cleanEnv, describeRun, onCi, run, sourceFile, toolMissing } from './support';

const PYTHON = '/usr/bin/python3';
/** Number of `with step(...)` blocks in b2sdk_interop.py. Keep in sync. */
const EXPECTED_STEPS = 20;
/** Small part sizes so a ~1 MB upload is a multi-part large file (b2sdk 1.17 plans parts from recommendedPartSize). */
const ABSOLUTE_MINIMUM_PART_SIZE = 100_000;
const RECOMMENDED_PART_SIZE = 200_000;

describe('interop: b2sdk 1.17 (python3-b2sdk, API v2)', () => {
  let emu: Awaited<ReturnType<typeof startEmulator>> | undefined;

  beforeAll(async () => {
    emu = await startEmulator({
      host: '127.0.0.1',
      port: 0,
      absoluteMinimumPartSize: ABSOLUTE_MINIMUM_PART_SIZE,
      recommendedPartSize: RECOMMENDED_PART_SIZE,
    });
  }, 30_000);

  afterAll(async () => {
    await emu?.close();
  }, 30_000);

  it(`passes all ${EXPECTED_STEPS} steps of b2sdk_interop.py`, async () => {
    const missing =
      toolMissing(PYTHON, 'install python3') ??
      (await run(PYTHON, ['-c', 'import b2sdk.v2'], { env: cleanEnv(['PYTHON']), timeoutMs: 60_000 }).then((r) =>
        r.code === 0 ? null : 'python3-b2sdk is not installed (apt-get install -y python3-b2sdk; .ci/run does this)',
      ));
    if (missing) {
      if (onCi()) fail(`b2sdk interop cannot run: ${missing}`);
      else pending(`b2sdk interop skipped: ${missing}`);
      return;
    }
    if (!emu) throw new Error('emulator did not start (see beforeAll failure)');

    const script = sourceFile('spec/interop/b2sdk_interop.py');
    const env = {
      ...cleanEnv(['PYTHON', 'B2_']),
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      B2_INTEROP_REALM: emu.url,
      B2_INTEROP_KEY_ID: emu.keyId,
      B2_INTEROP_KEY: emu.applicationKey,
      B2_INTEROP_EXPECT_RECOMMENDED_PART_SIZE: String(RECOMMENDED_PART_SIZE),
    };
    const result = await run(PYTHON, ['-B', script], { env, timeoutMs: 540_000 });

    const okSteps = result.stdout.split('\n').filter((l) => l.startsWith('STEP ok '));
    const failed = result.stdout.split('\n').find((l) => l.startsWith('STEP FAIL '));
    const lastLine = result.stdout.trimEnd().split('\n').pop();
    const passed = result.code === 0 && okSteps.length === EXPECTED_STEPS && lastLine === `ALL OK ${EXPECTED_STEPS} steps`;
    if (!passed) {
      fail(
        `b2sdk interop failed ${failed ? `at ${failed}` : `(${okSteps.length}/${EXPECTED_STEPS} steps ok)`}\n` +
          `emulator ${emu.url}; rerun by hand with B2_INTEROP_DEBUG=1 for b2sdk's request log\n` +
          describeRun(result),
      );
    }
    expect(okSteps.length).withContext('number of `STEP ok` lines').toBe(EXPECTED_STEPS);
  }, 600_000);
});
