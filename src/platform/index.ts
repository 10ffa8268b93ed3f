/** The platform in use: Node here; bundlers map this file to ./browser (package.json `browser`). */
export { platform } from './node';
export type { FileSha1, FolderEntry, HashedAhead, PathInfo, PathKind, Platform, PositionalFile, RandomAccessSource, Sha1 } from './platform';
