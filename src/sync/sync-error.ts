/** The error a sync ends with when files failed. */
import { B2Error } from '../http/b2-error';
import type { SyncAction } from './plan';

/** One file a sync could not bring over, and why. */
export interface B2SyncFailure {
  /** The step that failed. */
  readonly action: SyncAction;
  /** Why, in words: `permission denied`, `changed while it was read`, `fileName: contains the control character 0x01`… */
  readonly reason: string;
  /** What was raised (a `B2Error`, or the platform's error for local files). */
  readonly error: unknown;
}

/**
 * A sync that ended with failed files: code `sync_failed`, status 0, and `failures`, one per
 * file (in the order they failed). The message names the first 20.
 */
export class B2SyncError extends B2Error {
  /** Every failed file, in the order they failed (one with `failFast`). */
  readonly failures: readonly B2SyncFailure[];

  constructor(failures: readonly B2SyncFailure[], stoppedEarly: boolean) {
    const listed = failures.slice(0, 20).map((f) => `${f.action.kind} ${JSON.stringify(f.action.name)}: ${f.reason}`);
    const more = failures.length > 20 ? `; and ${failures.length - 20} more` : '';
    const head = stoppedEarly ? 'sync stopped at the first failure' : `sync finished with ${failures.length} failed file${failures.length === 1 ? '' : 's'}`;
    super({ status: 0, code: 'sync_failed', message: `${head}: ${listed.join('; ')}${more}` });
    this.name = 'B2SyncError';
    this.failures = failures;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), failures: this.failures.map((f) => ({ kind: f.action.kind, name: f.action.name, reason: f.reason })) };
  }
}

/** A failure's reason in words, from a B2Error or a platform (file system) error. */
export function failureReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof B2Error) return err.message;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'symbolic link loop';
    case 'ENOENT':
      return 'vanished while the sync ran';
    case 'EISDIR':
    case 'ENOTDIR':
      return `a file and a folder of the same name (${(err as Error).message})`;
  }
  return err instanceof Error ? err.message : String(err);
}
