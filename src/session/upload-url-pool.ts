/**
 * Idle upload URLs, per bucket (or per large file for parts). B2 allows one upload at a time per
 * URL (https://www.backblaze.com/docs/cloud-storage-upload-files-with-the-native-api): an upload takes a URL for itself, gives it back after success, and drops
 * it after any failure, so concurrent uploads never share one.
 */
import { defer, of, type Observable } from 'rxjs';

export interface UploadUrl {
  uploadUrl: string;
  authorizationToken: string;
}

export class UploadUrlPool<U extends UploadUrl = UploadUrl> {
  private readonly idle = new Map<string, U[]>();

  /**
   * An idle URL for `key` (the newest released), or a fresh one from `fetch`; taken on subscribe,
   * for the subscriber alone. Emits it once; a fetch's failure errors.
   */
  take(key: string, fetch: () => Observable<U>): Observable<U> {
    return defer(() => {
      const url = this.idle.get(key)?.pop();
      return url ? of(url) : fetch();
    });
  }

  /** Returns a URL after a successful upload, for the next one to reuse. */
  release(key: string, url: U): void {
    const list = this.idle.get(key);
    if (list) list.push(url);
    else this.idle.set(key, [url]);
  }

  /** Forgets every idle URL of `key` (the large file was finished or cancelled). */
  clear(key: string): void {
    this.idle.delete(key);
  }

  idleCount(key: string): number {
    return this.idle.get(key)?.length ?? 0;
  }
}
