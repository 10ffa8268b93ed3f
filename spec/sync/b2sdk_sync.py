#!/usr/bin/python3
"""
b2sdk's Synchronizer against the rxb2 emulator, for the sync interop specs and the sync bench.

    b2sdk_sync.py plan LOCAL_DIR BUCKET PREFIX   print the actions a sync up would take (a dry run), one a line
    b2sdk_sync.py up LOCAL_DIR BUCKET PREFIX     sync the folder up (max_workers from B2_SYNC_WORKERS, default 10)

The emulator comes from B2_INTEROP_REALM / B2_INTEROP_KEY_ID / B2_INTEROP_KEY. The last line is
`ACTIONS <n>` (plan) or `SYNCED` (up).
"""
import os
import sys
import time

from b2sdk.v2 import B2Api, InMemoryAccountInfo, Synchronizer, SyncReport, parse_sync_folder
from b2sdk.v2 import CompareVersionMode, NewerFileSyncMode


def main():
    mode, local_dir, bucket, prefix = sys.argv[1:5]
    api = B2Api(InMemoryAccountInfo())
    api.authorize_account(os.environ['B2_INTEROP_REALM'], os.environ['B2_INTEROP_KEY_ID'], os.environ['B2_INTEROP_KEY'])
    source = parse_sync_folder(local_dir, api)
    dest = parse_sync_folder('b2://%s/%s' % (bucket, prefix), api)
    workers = int(os.environ.get('B2_SYNC_WORKERS', '10'))
    # b2sdk's defaults: compare by modification time, fail if the destination is newer.
    synchronizer = Synchronizer(
        max_workers=workers,
        compare_version_mode=CompareVersionMode.MODTIME,
        newer_file_mode=NewerFileSyncMode.RAISE_ERROR,
    )
    now = int(round(time.time() * 1000))
    if mode == 'plan':
        # What sync_folders would run (it runs these same actions, with dry_run only reporting them).
        with SyncReport(open(os.devnull, 'w'), True) as reporter:
            actions = list(synchronizer._make_folder_sync_actions(source, dest, now, reporter))
        for action in actions:
            sys.stdout.write('%s\n' % action)
        sys.stdout.write('ACTIONS %d\n' % len(actions))
    elif mode == 'up':
        with SyncReport(open(os.devnull, 'w'), True) as reporter:
            synchronizer.sync_folders(source_folder=source, dest_folder=dest, now_millis=now, reporter=reporter)
        sys.stdout.write('SYNCED\n')
    else:
        raise SystemExit('unknown mode %s' % mode)


if __name__ == '__main__':
    main()
