/**
 * The fault soak, small enough for the suite (about 120 small and 3 large uploads, a few seconds):
 * every call meets every fault kind with a seeded probability, and afterwards nothing acknowledged
 * is lost or corrupt, no unfinished large file is left, nothing was unhandled, and the client did
 * retry. `npm run soak` runs the full one. SOAK_SEED picks another seed; lost-answers.spec.ts
 * holds what earlier runs found, one deterministic fault each.
 */
import { FAULT_KINDS, formatReport, runSoak, type SoakReport } from './soak';

describe('fault soak (small)', () => {
  let report: SoakReport;

  beforeAll(async () => {
    report = await runSoak({
      smallUploads: 120,
      largeUploads: 3,
      abandonedUploads: 1,
      listings: 10,
      churn: 3,
      concurrency: 16,
      // Above the full soak's 0.15, so that each kind shows up in a few hundred requests.
      faultProbability: 0.2,
      seed: Number(process.env.SOAK_SEED ?? 42),
      timeLimitMs: 15_000,
    });
    if (!report.passed || FAULT_KINDS.some((k) => !report.faultsInjected[k]) || report.retries === 0) {
      process.stdout.write(`\n${formatReport(report)}\n`);
    }
  }, 30_000);

  it('loses and corrupts nothing that was acknowledged', () => {
    expect(report.lost).withContext(report.details.lost.join('\n')).toBe(0);
    expect(report.corrupt).withContext(report.details.corrupt.join('\n')).toBe(0);
    expect(report.listingAnomalies).withContext(report.details.listingAnomalies.join('\n')).toBe(0);
  });

  it('leaves no unfinished large file behind', () => {
    expect(report.orphans).withContext(report.details.orphans.join('\n')).toBe(0);
  });

  it('has no unhandled rejection, emulator internal error or hang', () => {
    expect(report.unhandled).withContext(report.details.unhandled.join('\n')).toBe(0);
    expect(report.emulatorInternalErrors).toBe(0);
    expect(report.timedOut).withContext(report.inFlightAtTimeout.join('\n')).toBeFalse();
  });

  it('injected every fault kind and the client retried', () => {
    for (const kind of FAULT_KINDS) expect(report.faultsInjected[kind] ?? 0).withContext(kind).toBeGreaterThan(0);
    expect(report.callsWithoutFaults).toEqual([]);
    expect(report.retries).toBeGreaterThan(0);
    expect(report.operations.smallUpload?.ok ?? 0).toBeGreaterThan(60);
    expect(report.operations.downloadByIdVerify?.ok ?? 0).toBeGreaterThan(60);
  });
});
