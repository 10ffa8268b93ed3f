/** How the typed call functions reach B2: a transport, the API base URL and the account token. */
import { filter, map, type Observable } from 'rxjs';
import type { B2Transport } from '../http/transport';
import { isResponse } from '../http/events';

/** B2 API version rxb2 speaks (v3 = v2 except for authorize; https://www.backblaze.com/docs/cloud-storage-native-api-versions). */
export const API_VERSION = 'v3';

export interface B2ApiTarget {
  transport: B2Transport;
  apiUrl: string;
  authorizationToken: string;
}

/** POSTs a JSON call and emits its parsed response body once. */
export function jsonCall<T>(target: B2ApiTarget, call: string, body: object): Observable<T> {
  return target.transport
    .request<T>({
      method: 'POST',
      url: `${target.apiUrl}/b2api/${API_VERSION}/${call}`,
      operation: call,
      headers: { Authorization: target.authorizationToken },
      json: dropUndefined(body),
    })
    .pipe(
      filter(isResponse),
      map((e) => e.body),
    );
}

function dropUndefined(body: object): object {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[k] = v;
  return out;
}
