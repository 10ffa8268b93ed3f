/**
 * A transport that counts its requests in flight, so the command can wait after an interrupt for
 * what the client still sends on its own (the b2_cancel_large_file an abandoned large upload
 * sends from its teardown) before it reports and exits.
 */
import { Observable } from 'rxjs';
import type { B2Event, B2HttpRequest, B2Transport } from '../index';

export class TrackingTransport implements B2Transport {
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly inner: B2Transport) {}

  request<T>(req: B2HttpRequest): Observable<B2Event<T, unknown>> {
    return new Observable<B2Event<T, unknown>>((subscriber) => {
      this.inFlight++;
      const sub = this.inner.request<T>(req).subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        this.inFlight--;
        if (this.inFlight === 0) this.waiters.splice(0).forEach((wake) => wake());
      };
    });
  }

  /**
   * Resolves once no request is in flight (after a turn of the event loop, so requests started by
   * a teardown are counted), or after `timeoutMs`. A retry waiting out its back-off is not a
   * request in flight: the process itself stays alive for it.
   */
  async idle(timeoutMs: number): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
