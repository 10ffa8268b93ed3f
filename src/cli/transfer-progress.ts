/**
 * The progress bar of an upload or download (cli-progress): bytes, percentage, rate and ETA,
 * redrawn at most 10 times a second. Drawn only when asked (`draw`: by default when the output is
 * a terminal); when not, nothing is written and the caller prints one final line instead. Asked
 * for on something other than a terminal (--progress), the bar is written as a line a second.
 */
import { SingleBar } from 'cli-progress';
import { formatBytes, formatRate } from './format';

/** An output stream: a TTY (`isTTY`) gets a progress bar. */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class TransferProgress {
  private bar: SingleBar | undefined;
  private readonly startedAt = Date.now();
  /** Bytes already there when this run started (a resumed upload's parts). */
  private baseline = 0;
  private loaded = 0;

  constructor(
    private readonly out: CliStream,
    private readonly label: string,
    private readonly draw = !!out.isTTY,
  ) {}

  /** Bytes that were there before this run (a resumed upload's parts): not counted in the rate. */
  alreadyThere(bytes: number): void {
    this.baseline = bytes;
    this.loaded = Math.max(this.loaded, bytes);
  }

  /** Moves the bar to `loaded` of `total` bytes (drawn on the first call). */
  update(loaded: number, total: number | undefined): void {
    this.loaded = loaded;
    if (!this.draw || total === undefined) return;
    const payload = { done: formatBytes(loaded), size: formatBytes(total), rate: this.rate() };
    if (!this.bar) {
      this.bar = new SingleBar({
        // A tty.WriteStream in the command, or with --progress any stream (lines, not redraws).
        stream: this.out as NodeJS.WritableStream,
        noTTYOutput: !this.out.isTTY,
        notTTYSchedule: 1000,
        format: `${this.label} [{bar}] {percentage}% | {done} / {size} | {rate} | ETA {eta_formatted}`,
        barsize: 30,
        hideCursor: false,
        gracefulExit: false,
        etaBuffer: 50,
        fps: 10,
      });
      this.bar.start(total, loaded, payload);
    } else {
      this.bar.update(loaded, payload);
    }
  }

  /** Stops drawing (the bar's line stays). Safe to call more than once. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** Seconds since this transfer started. */
  get seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Bytes moved by this run (not counting what a resumed upload found already there). */
  get movedBytes(): number {
    return Math.max(0, this.loaded - this.baseline);
  }

  /** This run's average rate, as `3.2 MiB/s`. */
  rate(): string {
    return formatRate(this.movedBytes, this.seconds);
  }
}
