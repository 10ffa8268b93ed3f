/**
 * The value parsers of command-line flags, shared by the rxb2 command and the emulator's command.
 * Each throws a `UsageError` naming the flag: commander lets it through (it rewrites only its own
 * InvalidArgumentError), and the command reports it (`rxb2: --part-size: expected …`).
 */
import { UsageError } from './errors';
import { parseByteSize } from './format';

/** A byte count (`5000`, `100MB`, `64MiB`, see `parseByteSize`) of at most `max` bytes. */
export function byteSize(flag: string, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) throw new UsageError(flag, `expected a byte count such as 5000, 100MB or 64MiB, not '${value}'`);
    if (bytes > max) throw new UsageError(flag, `must be at most ${max} bytes, not ${bytes}`);
    return bytes;
  };
}

/** A whole number (digits only) from `min` to `max`. */
export function wholeNumber(flag: string, min: number, max?: number): (value: string) => number {
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || (max !== undefined && n > max)) throw new UsageError(flag, `expected a whole number ${range}, not '${value}'`);
    return n;
  };
}

/** `--concurrency`: transfers in flight at once, 1 to 64. */
export const concurrency = (flag: string): ((value: string) => number) => wholeNumber(flag, 1, 64);
