/**
 * The rxb2 side of `npm run bench:sync` (bench/sync.ts): one syncUp in its own process.
 * Argument: a JSON job { emu, bucketName, dir, prefix, concurrency, pageSize? }; prints one JSON line
 * { uploaded, skipped }.
 */
import { lastValueFrom } from 'rxjs';
import { B2, syncUp } from '../src';
import type { EmulatorEndpoint } from './raw-b2';

interface SyncJob {
  emu: EmulatorEndpoint;
  bucketName: string;
  dir: string;
  prefix: string;
  concurrency: number;
  /** Names per listing request (syncUp's default when absent). */
  pageSize?: number;
}

async function main(job: SyncJob): Promise<{ uploaded: number; skipped: number }> {
  const b2 = new B2({ applicationKeyId: job.emu.keyId, applicationKey: job.emu.applicationKey, realm: job.emu.url });
  const bucket = await lastValueFrom(b2.buckets.get(job.bucketName));
  let uploaded = 0;
  let skipped = 0;
  await new Promise<void>((resolve, reject) =>
    syncUp(bucket, { localFolder: job.dir, prefix: job.prefix, concurrency: job.concurrency, pageSize: job.pageSize }).subscribe({
      next: (e) => {
        if (e.type === 'done' && e.action.kind === 'upload') uploaded++;
        if (e.type === 'planned' && e.action.kind === 'skip') skipped++;
      },
      error: reject,
      complete: resolve,
    }),
  );
  return { uploaded, skipped };
}

main(JSON.parse(process.argv[2] ?? '{}') as SyncJob).then(
  (r) => process.stdout.write(JSON.stringify(r) + '\n', () => process.exit(0)),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
