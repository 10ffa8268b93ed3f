/** Bucket calls (https://www.backblaze.com/docs/cloud-storage-buckets): one typed function each. */
import type { Observable } from 'rxjs';
import { jsonCall, type B2ApiTarget } from './call';
import type { B2BucketWire, B2CorsRule, B2LifecycleRule, B2ServerSideEncryptionRequest, B2DefaultRetention } from './wire';

export interface CreateBucketRequest {
  accountId: string;
  bucketName: string;
  bucketType: 'allPublic' | 'allPrivate';
  bucketInfo?: Record<string, string>;
  corsRules?: B2CorsRule[];
  lifecycleRules?: B2LifecycleRule[];
  fileLockEnabled?: boolean;
  defaultServerSideEncryption?: B2ServerSideEncryptionRequest;
}

export const createBucket = (t: B2ApiTarget, req: CreateBucketRequest): Observable<B2BucketWire> => jsonCall(t, 'b2_create_bucket', req);

export interface ListBucketsRequest {
  accountId: string;
  bucketId?: string;
  bucketName?: string;
  bucketTypes?: string[];
}

export const listBuckets = (t: B2ApiTarget, req: ListBucketsRequest): Observable<{ buckets: B2BucketWire[] }> => jsonCall(t, 'b2_list_buckets', req);

export interface UpdateBucketRequest {
  accountId: string;
  bucketId: string;
  bucketType?: 'allPublic' | 'allPrivate';
  bucketInfo?: Record<string, string>;
  corsRules?: B2CorsRule[];
  lifecycleRules?: B2LifecycleRule[];
  defaultServerSideEncryption?: B2ServerSideEncryptionRequest;
  defaultRetention?: B2DefaultRetention;
  fileLockEnabled?: boolean;
  ifRevisionIs?: number;
}

export const updateBucket = (t: B2ApiTarget, req: UpdateBucketRequest): Observable<B2BucketWire> => jsonCall(t, 'b2_update_bucket', req);

export const deleteBucket = (t: B2ApiTarget, req: { accountId: string; bucketId: string }): Observable<B2BucketWire> => jsonCall(t, 'b2_delete_bucket', req);
