/** The JSON calls the emulator serves, by name. */
import type { Engine, JsonCall } from './engine';
import { authorizeAccount } from './handlers/account';
import { createBucket, deleteBucket, listBuckets, updateBucket } from './handlers/buckets';
import { deleteFileVersion, getFileInfo, hideFile, updateFileLegalHold, updateFileRetention } from './handlers/files';
import { listFileNames, listFileVersions } from './handlers/listing';
import { getUploadPartUrl, getUploadUrl } from './handlers/uploads';
import { cancelLargeFile, finishLargeFile, listParts, listUnfinishedLargeFiles, startLargeFile } from './handlers/large-files';
import { copyFile, copyPart } from './handlers/copy';
import { getDownloadAuthorization } from './handlers/downloads';
import { createKey, deleteKey, listKeys } from './handlers/keys';

export type JsonHandler = (engine: Engine, call: JsonCall) => unknown;

export const JSON_CALLS: Record<string, JsonHandler> = {
  b2_authorize_account: authorizeAccount,
  b2_create_bucket: createBucket,
  b2_list_buckets: listBuckets,
  b2_update_bucket: updateBucket,
  b2_delete_bucket: deleteBucket,
  b2_get_upload_url: getUploadUrl,
  b2_get_file_info: getFileInfo,
  b2_list_file_names: listFileNames,
  b2_list_file_versions: listFileVersions,
  b2_hide_file: hideFile,
  b2_delete_file_version: deleteFileVersion,
  b2_copy_file: copyFile,
  b2_update_file_retention: updateFileRetention,
  b2_update_file_legal_hold: updateFileLegalHold,
  b2_start_large_file: startLargeFile,
  b2_get_upload_part_url: getUploadPartUrl,
  b2_list_parts: listParts,
  b2_finish_large_file: finishLargeFile,
  b2_cancel_large_file: cancelLargeFile,
  b2_list_unfinished_large_files: listUnfinishedLargeFiles,
  b2_copy_part: copyPart,
  b2_get_download_authorization: getDownloadAuthorization,
  b2_create_key: createKey,
  b2_list_keys: listKeys,
  b2_delete_key: deleteKey,
};
