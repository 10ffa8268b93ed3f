/** The emulator's clock: real time plus an offset that tests move forward (token expiry, retention). */
export class EmulatorClock {
  private offsetMs = 0;
  private last = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** A millisecond timestamp strictly greater than any returned before, so version order never ties. */
  nextTimestamp(): number {
    this.last = Math.max(this.now(), this.last + 1);
    return this.last;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
  }
}
