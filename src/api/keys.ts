/** Application-key calls (https://www.backblaze.com/docs/cloud-storage-application-keys): one typed function each. */
import type { Observable } from 'rxjs';
import { jsonCall, type B2ApiTarget } from './call';
import type { B2CreatedKeyWire, B2KeyWire, B2ListKeysWire } from './wire';

export interface CreateKeyRequest {
  accountId: string;
  capabilities: string[];
  keyName: string;
  validDurationInSeconds?: number;
  bucketId?: string;
  namePrefix?: string;
}

export const createKey = (t: B2ApiTarget, req: CreateKeyRequest): Observable<B2CreatedKeyWire> => jsonCall(t, 'b2_create_key', req);

export const listKeys = (t: B2ApiTarget, req: { accountId: string; maxKeyCount?: number; startApplicationKeyId?: string }): Observable<B2ListKeysWire> =>
  jsonCall(t, 'b2_list_keys', req);

export const deleteKey = (t: B2ApiTarget, req: { applicationKeyId: string }): Observable<B2KeyWire> => jsonCall(t, 'b2_delete_key', req);
