/**
 * The rxb2 command's exit codes and the one place that decides which a failure gets; the
 * failures the command raises itself; how a failure is told (a line, or JSON with --json).
 *
 * The codes follow the conventions of aws-cli (2 for a usage error, 130 for Ctrl-C) and the
 * spirit of rclone's (separate codes for "not found" and for a temporary failure worth trying
 * again), so a script can tell a typo from a missing file from an outage.
 */
import { B2Error } from '../index';

export const EXIT_OK = 0;
/** Any failure not below: B2 refused (a bad key, no permission, a cap), a checksum mismatch, a local I/O error. */
export const EXIT_FAILED = 1;
/** The command line or its environment is wrong: nothing was sent to B2. */
export const EXIT_USAGE = 2;
/** No such bucket, file (on B2) or local path. */
export const EXIT_NOT_FOUND = 3;
/** Network failure, or B2 busy or down (408, 429, 5xx), still so after the client's retries: try again later. */
export const EXIT_TRY_AGAIN = 4;
/** Interrupted (Ctrl-C, SIGTERM): the command stopped and cleaned up. */
export const EXIT_INTERRUPTED = 130;

/** The exit codes and what they mean, as `--help` and the README print them. */
export const EXIT_CODES: ReadonlyArray<readonly [number, string]> = [
  [EXIT_OK, 'done'],
  [EXIT_FAILED, 'failed: B2 refused (bad key, no permission, a cap), checksum mismatch, local I/O error'],
  [EXIT_USAGE, 'usage error: unknown command or option, a bad value, no credentials; nothing was sent'],
  [EXIT_NOT_FOUND, 'not found: no such bucket, file, or local file or directory'],
  [EXIT_TRY_AGAIN, 'temporary failure: network, or B2 busy or down (408, 429, 5xx) after retries; try again later'],
  [EXIT_INTERRUPTED, 'interrupted (Ctrl-C)'],
];

/** A bad command line or environment; the message names the flag or argument: `--part-size: must be …`. */
export class UsageError extends Error {
  constructor(
    readonly what: string,
    problem: string,
  ) {
    super(`${what}: ${problem}`);
  }
}

/** A local path that is not there (B2's own "not found" is a B2Error). */
export class NotFound extends Error {}

/** The signal aborted a step; `notice` says what was stopped and what was left behind. */
export class Interrupted extends Error {
  constructor(readonly notice = 'interrupted') {
    super(notice);
  }
}

/** Any other failure of the command itself: its message is printed as is. */
export class CliFailure extends Error {}

/** B2's codes for something that is not there (https://www.backblaze.com/apidocs/introduction-to-the-b2-native-api). */
const NOT_FOUND_CODES = new Set(['not_found', 'no_such_file', 'file_not_present', 'bad_bucket_id']);

/** The exit code of a failure. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof Interrupted) return EXIT_INTERRUPTED;
  if (err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof NotFound) return EXIT_NOT_FOUND;
  if (err instanceof B2Error) {
    if (err.code === 'invalid_argument') return EXIT_USAGE;
    if (err.code === 'aborted') return EXIT_INTERRUPTED;
    if (err.status === 404 || NOT_FOUND_CODES.has(err.code)) return EXIT_NOT_FOUND;
    // A local file the client could not read or write: not found when a part of its path is missing.
    if (err.code === 'local_io_error') return err.osCode === 'ENOENT' || err.osCode === 'ENOTDIR' ? EXIT_NOT_FOUND : EXIT_FAILED;
    if (err.isRetryable) return EXIT_TRY_AGAIN;
    return EXIT_FAILED;
  }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return EXIT_NOT_FOUND;
  return EXIT_FAILED;
}

/**
 * The client's names for what the command line calls otherwise: an `invalid_argument` from the
 * client is told with the flag or argument the user wrote.
 */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  partSize: '--part-size',
  largeFileThreshold: '--part-size',
  concurrency: '--concurrency',
  contentType: '--content-type',
  bucketName: 'bucket name',
  fileName: 'file name',
  name: 'file name',
  B2_REALM: 'B2_REALM',
};

/** What a failure is called in output: the flag, or `code` of the JSON error. */
function errorCode(err: unknown): string {
  if (err instanceof UsageError) return 'usage';
  if (err instanceof Interrupted) return 'interrupted';
  if (err instanceof NotFound) return 'not_found';
  if (err instanceof B2Error) return err.code;
  return 'failed';
}

/** The message of a failure, with a client field renamed to its flag. Never a key or a token. */
function message(err: unknown): string {
  if (err instanceof B2Error && err.code === 'invalid_argument' && err.field && err.message.startsWith(`${err.field}: `)) {
    const flag = FLAG_OF_FIELD[err.field];
    if (flag) return flag + err.message.slice(err.field.length);
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** One line for a failure: the message, with B2's code, status and call when B2 said it. */
export function describeError(err: unknown): string {
  if (err instanceof B2Error && !(err.code === 'invalid_argument' && FLAG_OF_FIELD[err.field ?? ''])) {
    const detail = [err.code, err.status ? `HTTP ${err.status}` : '', err.operation ?? ''].filter(Boolean).join(', ');
    return `${err.message} (${detail})`;
  }
  return message(err);
}

/** A failure as the JSON object `--json` prints on stderr: `{ error: { code, message, … }, exitCode }`. */
export function errorJson(err: unknown): Record<string, unknown> {
  const error: Record<string, unknown> = { code: errorCode(err), message: message(err) };
  if (err instanceof B2Error) {
    if (err.status) error.status = err.status;
    if (err.operation) error.operation = err.operation;
    if (err.field) error.field = FLAG_OF_FIELD[err.field] ?? err.field;
    if (err.retryAfter !== undefined) error.retryAfter = err.retryAfter;
    if (err.osCode) error.osCode = err.osCode;
    if (err.path) error.path = err.path;
  } else if (err instanceof UsageError) {
    error.field = err.what;
  }
  return { error, exitCode: exitCodeFor(err) };
}
