/**
 * The fault soak, small enough for the suite (about 120 small, 3 large and 9 path uploads, a few
 * seconds): every call meets every fault kind with a seeded probability — stalls included, which
 * the client's short idle timeout turns into retries — and some files change while their upload
 * reads them. Afterwards nothing acknowledged is lost or corrupt, no unfinished large file is
 * left, nothing was unhandled, the client did retry, and every file changed while read was
 * refused with `source_changed`, nothing of it stored. `npm run soak` runs the full one.
 * SOAK_SEED picks another seed; lost-answers.spec.ts holds what earlier runs found, one
 * deterministic fault each.
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
      // 3 of each path kind; 2 of each changed (the first and the third).
      pathUploads: 9,
      concurrency: 16,
      // Above the full soak's 0.15, so that each kind shows up in a few hundred requests.
      faultProbability: 0.2,
      // Each stall costs this before it is retried.
      idleMs: 250,
      seed: Number(process.env.SOAK_SEED ?? 42),
      timeLimitMs: 15_000,
    });
    if (!report.passed || FAULT_KINDS.some((k) => !report.faultsInjected[k]) || report.retries === 0 || !report.retriesByCode.idle_timeout) {
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
    for (const kind of FAULT_KINDS)
      expect(report.faultsInjected[kind] ?? 0)
        .withContext(kind)
        .toBeGreaterThan(0);
    expect(report.callsWithoutFaults).toEqual([]);
    expect(report.retries).toBeGreaterThan(0);
    expect(report.operations.smallUpload?.ok ?? 0).toBeGreaterThan(60);
    expect(report.operations.downloadByIdVerify?.ok ?? 0).toBeGreaterThan(60);
  });

  it('stalled a few requests, each given up on after the idle timeout and retried', () => {
    // The 6 certain stalls, and those drawn at random.
    expect(report.faultsInjected.stall ?? 0).toBeGreaterThanOrEqual(6);
    // Not every stall costs a retry: a download shorter than its stall point is sent whole, and an
    // upload may fail first for its own reason (a sibling part, its file changing).
    expect(report.retriesByCode.idle_timeout ?? 0).toBeGreaterThanOrEqual(4);
  });

  it('refuses every file changed while read with source_changed, storing nothing of it', () => {
    const { whileRead, afterRead } = report.changed;
    const context = report.details.changed.join('\n');
    expect(whileRead.planned).toBe(4);
    expect(whileRead.changed).withContext(context).toBe(4);
    expect(whileRead.refused).withContext(context).toBe(4);
    expect(whileRead.failedOtherwise).withContext(context).toBe(0);
    expect(whileRead.storedAnyway).withContext(context).toBe(0);
    expect(whileRead.mixed).withContext(context).toBe(0);
    expect(whileRead.unfinishedLeft).withContext(context).toBe(0);
    expect(report.failuresByCode['pathUploadStreamed source_changed']).toBe(2);
    expect(report.failuresByCode['pathUploadLarge source_changed']).toBe(2);
    // Read whole when opened, then changed: what was read is stored, nothing else.
    expect(afterRead.changed).toBe(2);
    expect(afterRead.storedOther).withContext(context).toBe(0);
    expect(afterRead.storedAsRead + afterRead.failed).toBe(2);
    // The unchanged path uploads went through, intact (lost and corrupt above cover their bytes).
    expect(report.operations.pathUploadReadWhole?.ok ?? 0).toBeGreaterThanOrEqual(2);
    expect(report.operations.pathUploadStreamed?.ok ?? 0).toBe(1);
    expect(report.operations.pathUploadLarge?.ok ?? 0).toBe(1);
  });
});
