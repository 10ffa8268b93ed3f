#!/usr/bin/python3
"""
The benchmark driver for Backblaze's Python SDK, b2sdk (Debian's python3-b2sdk 1.17.3, native API v2).

Run with the system python (the only one python3-b2sdk is installed for):

    /usr/bin/python3 bench/peers/b2sdk_client.py '<job json>'

It does one job (the protocol of bench/peers/job.ts) the way a b2sdk user would, with b2sdk's
defaults except the thread counts, and prints one JSON result line; on failure the error goes to
stderr and the exit status is 1.

    upload-large    B2Api(max_upload_workers=concurrency); bucket.upload_local_file(path, fileName,
                    file_infos={'large_file_sha1': sha1}, min_part_size=partSize): b2sdk plans the
                    parts (partSize each, the last one up to partSize + 5 MB), uploads them on its
                    upload thread pool, each part's SHA-1 computed while it is sent (hex_digits_at_end).
    download-large  B2Api(max_download_workers=concurrency); bucket.download_file_by_id(fileId)
                    .save_to(path): b2sdk's ParallelDownloader (files >= 2 x 100 MiB) splits the file
                    into min(size // 100 MiB, workers) ranges, hashes what it downloads and checks the
                    SHA-1 when the server gives one (not for large files: their Content-Sha1 is "none").
    upload-small    B2Api(max_upload_workers=concurrency); a ThreadPoolExecutor(concurrency) calling
                    bucket.upload_local_file(dir/name, prefix + name) for every file (b2sdk keeps a
                    pool of upload URLs per bucket, so each thread reuses one).
    list            bucket.ls(prefix, recursive=True, fetch_count=pageSize), latest versions
                    (b2_list_file_names), counted.

The timed window starts before B2Api is created (imports done) and ends when the last operation is
done; CPU is getrusage(RUSAGE_SELF) (all threads), peak RSS is ru_maxrss (KiB on Linux).
"""
import json
import os
import resource
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import b2sdk.version
from b2sdk.v2 import B2Api, InMemoryAccountInfo

VERSION = 'b2sdk %s' % b2sdk.version.VERSION


def need(job, key):
    value = job.get(key)
    if value is None:
        raise ValueError('job for %s lacks "%s"' % (job.get('scenario'), key))
    return value


def connect(job, **api_options):
    """An authorized B2Api and the job's bucket (b2sdk 1.17 takes a realm that is not a known name as the URL)."""
    api = B2Api(InMemoryAccountInfo(), **api_options)
    emu = job['emu']
    api.authorize_account(emu['url'], emu['keyId'], emu['applicationKey'])
    return api, api.get_bucket_by_name(job['bucketName'])


def upload_large(job):
    path, file_name, size, sha1 = need(job, 'path'), need(job, 'fileName'), need(job, 'size'), need(job, 'sha1')
    part_size, concurrency = need(job, 'partSize'), need(job, 'concurrency')
    api, bucket = connect(job, max_upload_workers=concurrency)
    version = bucket.upload_local_file(
        local_file=path,
        file_name=file_name,
        file_infos={'large_file_sha1': sha1},
        min_part_size=part_size,
    )
    if version.size != size:
        raise RuntimeError('uploaded %d bytes, not %d' % (version.size, size))
    return {'count': 1, 'bytes': size, 'fileId': version.id_}


def download_large(job):
    path, file_id, size = need(job, 'path'), need(job, 'fileId'), need(job, 'size')
    concurrency = need(job, 'concurrency')
    api, bucket = connect(job, max_download_workers=concurrency)
    downloaded = bucket.download_file_by_id(file_id)
    downloaded.save_to(path)
    strategy = downloaded.download_strategy
    note = type(strategy).__name__
    if hasattr(strategy, '_get_number_of_streams'):
        note += ' %d streams' % strategy._get_number_of_streams(downloaded.download_version.content_length)
    sha1 = downloaded.download_version.content_sha1
    note += ', SHA-1 checked' if sha1 and sha1 != 'none' else ', SHA-1 computed, not checked (Content-Sha1 none)'
    return {'count': 1, 'bytes': size, 'note': note}


def upload_small(job):
    directory, files, prefix = need(job, 'dir'), need(job, 'files'), need(job, 'prefix')
    concurrency = need(job, 'concurrency')
    api, bucket = connect(job, max_upload_workers=concurrency)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [
            pool.submit(bucket.upload_local_file, os.path.join(directory, name), prefix + name)
            for name in files
        ]
        versions = [f.result() for f in futures]
    return {'count': len(versions), 'bytes': sum(v.size for v in versions)}


def list_files(job):
    prefix, page_size, expected = need(job, 'prefix'), need(job, 'pageSize'), need(job, 'expected')
    if prefix and not prefix.endswith('/'):
        # Bucket.ls lists "folders": it would list prefix + '/'.
        raise ValueError('b2sdk Bucket.ls needs a folder prefix ending in "/", got %r' % prefix)
    api, bucket = connect(job)
    count = 0
    for _file_version, _folder in bucket.ls(prefix, latest_only=True, recursive=True, fetch_count=page_size):
        count += 1
    if count != expected:
        raise RuntimeError('listed %d files under %r, expected %d' % (count, prefix, expected))
    return {'count': count, 'bytes': 0}


SCENARIOS = {
    'upload-large': upload_large,
    'download-large': download_large,
    'upload-small': upload_small,
    'list': list_files,
}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: /usr/bin/python3 b2sdk_client.py '<job json>' | @<job json file>\n")
        return 2
    try:
        if argv[1].startswith('@'):
            with open(argv[1][1:], encoding='utf-8') as f:
                job = json.load(f)
        else:
            job = json.loads(argv[1])
        run = SCENARIOS.get(job.get('scenario'))
        if run is None:
            raise ValueError('unknown scenario %r' % job.get('scenario'))
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        outcome = run(job)
        seconds = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
    except BaseException:  # noqa: B902 - report anything, including b2sdk's own exits
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        return 1
    result = {
        'seconds': seconds,
        'cpuS': (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
        'maxRss': r1.ru_maxrss * 1024,
        'version': VERSION,
    }
    result.update(outcome)
    sys.stdout.write(json.dumps(result) + '\n')
    sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
