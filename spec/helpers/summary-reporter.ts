/**
 * Prints one plain closing line, `tests: N passed, M failed`, after jasmine's own summary.
 * CI reads this line (jasmine's summary format is not machine-stable); excluded and pending
 * specs count as neither.
 *
 * The line is written from a process 'exit' handler: jasmine calls process.exit() right after
 * its reporters and an output flush, so anything scheduled later (setImmediate, timers) never
 * runs, while 'exit' handlers run synchronously after every other write. If the run ends
 * before jasmineDone (a crash or an early process.exit), at least one failure is reported.
 */
import { writeSync } from 'node:fs';

let passed = 0;
let failed = 0;
let finished = false;

jasmine.getEnv().addReporter({
  specDone(result) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') failed++;
  },
  suiteDone(result) {
    // An error in beforeAll/afterAll fails the suite without failing a spec: count it.
    if (result.status === 'failed') failed++;
  },
  jasmineDone(result) {
    finished = true;
    // Also covers a failed top-level afterAll or "no specs found" with failSpecWithNoExpectations.
    if (result.overallStatus === 'failed' && failed === 0) failed = 1;
  },
});

process.once('exit', () => {
  if (!finished && failed === 0) failed = 1;
  const line = Buffer.from(`tests: ${passed} passed, ${failed} failed\n`);
  // Synchronous write straight to fd 1; retry if stdout is a full non-blocking pipe.
  let offset = 0;
  for (let attempt = 0; offset < line.length && attempt < 1000; attempt++) {
    try {
      offset += writeSync(1, line, offset);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
});
