#!/usr/bin/python3
"""
Interop check: drive the rxb2 emulator with Debian's b2sdk 1.17 (native API v2).

Run with the system python (the one python3-b2sdk is installed for):

    /usr/bin/python3 spec/interop/b2sdk_interop.py REALM_URL KEY_ID APPLICATION_KEY

or with B2_INTEROP_REALM / B2_INTEROP_KEY_ID / B2_INTEROP_KEY in the environment.
B2_INTEROP_SELF_TEST=1 runs the steps against b2sdk's RawSimulator instead (checks the script;
1.17's simulator passes up to `no_unfinished_left` and then fails cleanup: it forgets copied files' ids).
B2_INTEROP_DEBUG=1 also logs b2sdk's own DEBUG output (requests, responses) to stderr.

Every step prints `STEP ok <name>` on success. The first failing step prints
`STEP FAIL <name>: <error>`, a traceback and the last B2 calls, and the script exits 1.
The last line of a successful run is `ALL OK <n> steps`.

Retries are switched off (one HTTP attempt per call, one upload attempt per part) and the
number of b2_authorize_account calls is checked at the end, so an emulator error cannot be
hidden by b2sdk's retry or re-authorization loops.

The emulator must advertise a small recommendedPartSize (the jasmine spec passes 200,000 with
absoluteMinimumPartSize 100,000) so that a ~1 MB upload becomes a multi-part large file.
"""
import hashlib
import inspect
import io
import logging
import os
import random
import sys
import threading
import time
import traceback
from contextlib import contextmanager

from b2sdk.v2 import B2Api, InMemoryAccountInfo
from b2sdk.exception import B2Error, ResourceNotFound
from b2sdk.b2http import B2Http
from b2sdk.transfer.outbound.upload_manager import UploadManager

STEPS_DONE = 0
CALLS = []  # (b2 call name, short description, outcome) in completion order
CALLS_LOCK = threading.Lock()


class StepFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailure(message)


def check_unless_simulated(condition, message):
    """A check that b2sdk's RawSimulator itself fails (only relaxed under B2_INTEROP_SELF_TEST)."""
    if not os.environ.get('B2_INTEROP_SELF_TEST'):
        check(condition, message)


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def recent_calls(n=25):
    with CALLS_LOCK:
        tail = CALLS[-n:]
    return '\n'.join('  %s(%s) -> %s' % c for c in tail)


@contextmanager
def step(name):
    global STEPS_DONE
    try:
        yield
    except BaseException as e:  # noqa: B902 - report anything, including SystemExit from b2sdk
        detail = e
        if isinstance(e, B2Error):
            detail = '%s %r (status=%s code=%s)' % (
                type(e).__name__, str(e), getattr(e, 'status', None), getattr(e, 'code', None)
            )
        sys.stdout.write('STEP FAIL %s: %s\n' % (name, detail))
        sys.stdout.write(traceback.format_exc())
        sys.stdout.write('last B2 calls:\n%s\n' % recent_calls())
        sys.stdout.flush()
        sys.exit(1)
    STEPS_DONE += 1
    sys.stdout.write('STEP ok %s\n' % name)
    sys.stdout.flush()


def calls_named(name, since=0):
    with CALLS_LOCK:
        return [c for c in CALLS[since:] if c[0] == name and c[2] == 'ok']


def mark():
    with CALLS_LOCK:
        return len(CALLS)


def _short(value):
    if isinstance(value, (bytes, bytearray)):
        return '<%d bytes>' % len(value)
    if hasattr(value, 'read'):
        return '<stream>'
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def instrument(raw_api):
    """Record every raw B2 call (name, arguments, outcome) made through this raw api object."""
    for name in dir(raw_api):
        if name.startswith('_'):
            continue
        fn = getattr(raw_api, name)
        if not inspect.ismethod(fn):
            continue

        def wrapper(*args, __fn=fn, __name=name, **kwargs):
            desc = ', '.join([_short(a) for a in args] + ['%s=%s' % (k, _short(v)) for k, v in kwargs.items()])
            # never record secrets: authorize's third argument is the key
            if __name == 'authorize_account':
                desc = _short(args[0]) if args else ''
            try:
                result = __fn(*args, **kwargs)
            except BaseException as e:
                with CALLS_LOCK:
                    CALLS.append((__name, desc, 'raised %s: %s' % (type(e).__name__, e)))
                raise
            with CALLS_LOCK:
                CALLS.append((__name, desc, 'ok'))
            return result

        setattr(raw_api, name, wrapper)


def disable_retries():
    original = B2Http._translate_and_retry.__func__

    def once(cls, fcn, try_count, post_params=None):
        return original(cls, fcn, 1, post_params)

    B2Http._translate_and_retry = classmethod(once)
    UploadManager.MAX_UPLOAD_ATTEMPTS = 1


def download(downloaded_file):
    buf = io.BytesIO()
    downloaded_file.save(buf)
    return buf.getvalue()


def expect_not_found(fn, what):
    try:
        fn()
    except ResourceNotFound:
        return
    except KeyError:
        if os.environ.get('B2_INTEROP_SELF_TEST'):
            return  # RawSimulator raises KeyError for unknown file ids
        raise
    except B2Error as e:
        raise StepFailure('%s: expected 404 not found, got %s %r (status=%s code=%s)' % (
            what, type(e).__name__, str(e), getattr(e, 'status', None), getattr(e, 'code', None)))
    raise StepFailure('%s: expected 404 not found, but it succeeded' % what)


def main():
    args = sys.argv[1:]
    realm = args[0] if len(args) > 0 else os.environ.get('B2_INTEROP_REALM')
    key_id = args[1] if len(args) > 1 else os.environ.get('B2_INTEROP_KEY_ID')
    key = args[2] if len(args) > 2 else os.environ.get('B2_INTEROP_KEY')
    if not (realm and key_id and key) and not os.environ.get('B2_INTEROP_SELF_TEST'):
        sys.stderr.write('usage: b2sdk_interop.py REALM_URL KEY_ID APPLICATION_KEY\n')
        sys.exit(2)

    if os.environ.get('B2_INTEROP_DEBUG'):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    disable_retries()

    info = InMemoryAccountInfo()
    if os.environ.get('B2_INTEROP_SELF_TEST'):
        # Check this script itself against b2sdk's in-process RawSimulator (no emulator involved).
        from b2sdk.v2 import B2HttpApiConfig, RawSimulator
        api = B2Api(info, api_config=B2HttpApiConfig(_raw_api_class=RawSimulator))
        realm = 'production'
        key_id, key = api.session.raw_api.create_account()
    else:
        api = B2Api(info)
    instrument(api.session.raw_api)
    rnd = random.Random(20240601)

    # ------------------------------------------------------------------ authorize
    with step('authorize'):
        # b2sdk 1.17: a realm that is not a REALM_URLS key is used as the URL itself.
        api.authorize_account(realm, key_id, key)
        check(info.get_account_id(), 'no accountId after authorize')
        check(info.get_api_url().startswith('http'), 'bad apiUrl %r' % info.get_api_url())
        check(info.get_download_url().startswith('http'), 'bad downloadUrl %r' % info.get_download_url())
        rec = info.get_recommended_part_size()
        abs_min = info.get_absolute_minimum_part_size()
        check(isinstance(rec, int) and isinstance(abs_min, int) and 0 < abs_min <= rec,
              'bad part sizes: recommendedPartSize=%r absoluteMinimumPartSize=%r' % (rec, abs_min))
        check(rec <= 8 * 1024 * 1024,
              'recommendedPartSize %d too large for this test: start the emulator with a small one' % rec)
        expected = os.environ.get('B2_INTEROP_EXPECT_RECOMMENDED_PART_SIZE')
        if expected:
            check(rec == int(expected), 'recommendedPartSize %d, emulator was started with %s' % (rec, expected))
        caps = info.get_allowed()['capabilities']
        for cap in ('listBuckets', 'writeBuckets', 'deleteBuckets', 'listFiles', 'readFiles', 'writeFiles',
                    'deleteFiles'):
            check(cap in caps, 'master key lacks capability %s (allowed=%r)' % (cap, info.get_allowed()))

    # ------------------------------------------------------------------ bucket
    bucket_name = 'interop-b2sdk-%08x' % rnd.getrandbits(32)
    with step('create_bucket'):
        bucket = api.create_bucket(bucket_name, 'allPrivate')
        check(bucket.name == bucket_name, 'created bucket name %r' % bucket.name)
        check(bucket.id_, 'no bucketId')
        listed = [b for b in api.list_buckets() if b.name == bucket_name]
        check(len(listed) == 1 and listed[0].id_ == bucket.id_,
              'list_buckets does not show the new bucket: %r' % [(b.name, b.id_) for b in api.list_buckets()])
        check(api.get_bucket_by_name(bucket_name).id_ == bucket.id_, 'get_bucket_by_name mismatch')

    # ------------------------------------------------------------------ small uploads
    small_name = 'dir one/small +&%=ü 自由.txt'
    small_v1 = b'first version of the small file\n' * 5
    small_v2 = b'second version, different length and content\n' * 3
    with step('upload_small'):
        m = mark()
        v1 = bucket.upload_bytes(
            small_v1, small_name, content_type='text/plain',
            file_infos={'color': 'blue & green', 'src_last_modified_millis': '1700000000000'},
        )
        check(v1.size == len(small_v1), 'size %r != %d' % (v1.size, len(small_v1)))
        check(v1.content_sha1 == sha1(small_v1), 'contentSha1 %r != %s' % (v1.content_sha1, sha1(small_v1)))
        check(v1.file_name == small_name, 'fileName %r' % v1.file_name)
        check(v1.file_info.get('color') == 'blue & green', 'fileInfo %r' % v1.file_info)
        check(len(calls_named('upload_file', m)) == 1 and not calls_named('start_large_file', m),
              'expected exactly one b2_upload_file and no large file')

    with step('upload_second_version'):
        time.sleep(0.01)
        v2 = bucket.upload_bytes(small_v2, small_name, content_type='text/plain', file_infos={'color': 'red'})
        check(v2.id_ != v1.id_, 'second version has the same fileId')
        check(v2.content_sha1 == sha1(small_v2), 'contentSha1 %r != %s' % (v2.content_sha1, sha1(small_v2)))

    # ------------------------------------------------------------------ large upload
    large_name = 'big/large file ü.bin'
    large_size = 5 * rec + 12345
    large_data = rnd.randbytes(large_size)
    with step('upload_large'):
        m = mark()
        lv = bucket.upload_bytes(large_data, large_name, content_type='application/octet-stream',
                                 file_infos={'kind': 'large'})
        parts = calls_named('upload_part', m)
        check(len(calls_named('start_large_file', m)) == 1, 'b2_start_large_file was not called once')
        check(len(parts) >= 3, 'expected >= 3 b2_upload_part calls for %d bytes, got %d' % (large_size, len(parts)))
        check(len(calls_named('finish_large_file', m)) == 1, 'b2_finish_large_file was not called once')
        check(not calls_named('upload_file', m), 'large file unexpectedly used b2_upload_file')
        check(lv.size == large_size, 'large file size %r != %d' % (lv.size, large_size))
        check(lv.file_name == large_name, 'large file name %r' % lv.file_name)
        check(lv.content_sha1 in ('none', None), 'large file contentSha1 should be "none", got %r' % lv.content_sha1)
        check(lv.file_info.get('kind') == 'large', 'large fileInfo %r' % lv.file_info)
        sys.stdout.write('  (large file: %d bytes in %d parts)\n' % (large_size, len(parts)))

    # ------------------------------------------------------------------ metadata
    with step('get_file_info'):
        fi = bucket.get_file_info_by_id(v1.id_)
        check(fi.file_name == small_name and fi.size == len(small_v1), 'by id: %r %r' % (fi.file_name, fi.size))
        check(fi.content_sha1 == sha1(small_v1), 'by id: contentSha1 %r' % fi.content_sha1)
        check(fi.file_info.get('color') == 'blue & green', 'by id: fileInfo %r' % fi.file_info)
        dv = bucket.get_file_info_by_name(small_name)  # HEAD on the download URL
        check_unless_simulated(dv.id_ == v2.id_, 'by name (HEAD): fileId %r, newest is %r' % (dv.id_, v2.id_))
        check(dv.file_name == small_name, 'by name (HEAD): x-bz-file-name decodes to %r' % dv.file_name)
        check_unless_simulated(dv.size == len(small_v2), 'by name (HEAD): size %r' % dv.size)
        check_unless_simulated(dv.content_sha1 == sha1(small_v2), 'by name (HEAD): contentSha1 %r' % dv.content_sha1)
        check_unless_simulated(dv.file_info.get('color') == 'red', 'by name (HEAD): fileInfo %r' % dv.file_info)

    # ------------------------------------------------------------------ listing
    with step('ls'):
        names = sorted(fv.file_name for fv, _ in bucket.ls(recursive=True))
        check(names == sorted([small_name, large_name]), 'ls(recursive) names %r' % names)
        top = sorted((fv.file_name if folder is None else folder) for fv, folder in bucket.ls())
        check(top == ['big/', 'dir one/'], 'ls(top level) %r' % top)
        inner = [fv.file_name for fv, _ in bucket.ls('dir one')]
        check(inner == [small_name], 'ls("dir one") %r' % inner)
        latest = [fv for fv, _ in bucket.ls(recursive=True) if fv.file_name == small_name]
        check(latest[0].id_ == v2.id_, 'ls shows %r as current, expected newest %r' % (latest[0].id_, v2.id_))

    with step('list_versions'):
        versions = list(bucket.list_file_versions(small_name))
        ids = [fv.id_ for fv in versions]
        check(ids == [v2.id_, v1.id_], 'versions of small file (newest first) %r, expected %r' % (ids, [v2.id_, v1.id_]))
        everything = [(fv.file_name, fv.id_) for fv, _ in bucket.ls(latest_only=False, recursive=True)]
        check(len(everything) == 3, 'ls(latest_only=False) %r' % everything)

    # ------------------------------------------------------------------ downloads
    with step('download_by_name'):
        got = download(bucket.download_file_by_name(small_name))
        check(sha1(got) == sha1(small_v2), 'small by name: sha1 %s != %s (len %d)' % (sha1(got), sha1(small_v2), len(got)))
        df = bucket.download_file_by_name(large_name)
        got = download(df)
        check(sha1(got) == sha1(large_data),
              'large by name: sha1 %s != %s (len %d vs %d)' % (sha1(got), sha1(large_data), len(got), large_size))
        check(df.download_version.file_info.get('kind') == 'large', 'large by name: info %r' % df.download_version.file_info)

    with step('download_by_id'):
        got = download(api.download_file_by_id(v1.id_))  # an older version
        check(got == small_v1, 'old small version by id: sha1 %s != %s' % (sha1(got), sha1(small_v1)))
        got = download(api.download_file_by_id(lv.id_))
        check(sha1(got) == sha1(large_data), 'large by id: sha1 %s != %s' % (sha1(got), sha1(large_data)))

    with step('download_range'):
        got = download(bucket.download_file_by_name(large_name, range_=(rec - 10, rec + 9)))
        check(got == large_data[rec - 10:rec + 10], 'range across a part boundary: got %d bytes, wrong content' % len(got))

    # ------------------------------------------------------------------ hide / unhide / delete
    with step('hide'):
        hidden = bucket.hide_file(small_name)
        check(hidden.action == 'hide', 'hide_file returned action %r' % hidden.action)
        names = [fv.file_name for fv, _ in bucket.ls(recursive=True)]
        check(names == [large_name], 'after hide, ls shows %r' % names)
        ids = [fv.id_ for fv in bucket.list_file_versions(small_name)]
        check(ids == [hidden.id_, v2.id_, v1.id_], 'after hide, versions %r' % ids)
        expect_not_found(lambda: download(bucket.download_file_by_name(small_name)), 'download of hidden file by name')
        got = download(api.download_file_by_id(v2.id_))
        check(got == small_v2, 'hidden file is no longer downloadable by id')

    with step('unhide_by_deleting_hide_marker'):
        api.delete_file_version(hidden.id_, small_name)
        names = sorted(fv.file_name for fv, _ in bucket.ls(recursive=True))
        check(names == sorted([small_name, large_name]), 'after deleting the hide marker, ls shows %r' % names)
        got = download(bucket.download_file_by_name(small_name))
        check(got == small_v2, 'after unhide, download by name gives the wrong content')

    with step('delete_version'):
        r = api.delete_file_version(v1.id_, small_name)
        check(r.file_id == v1.id_ and r.file_name == small_name, 'delete_file_version returned %r' % (r.as_dict(),))
        ids = [fv.id_ for fv in bucket.list_file_versions(small_name)]
        check(ids == [v2.id_], 'after deleting the old version, versions %r' % ids)
        expect_not_found(lambda: download(api.download_file_by_id(v1.id_)), 'download of a deleted version by id')

    # ------------------------------------------------------------------ server-side copies
    copy_name = 'copies/small copy.txt'
    with step('copy_file'):
        m = mark()
        cv = bucket.copy(v2.id_, copy_name)
        check(len(calls_named('copy_file', m)) == 1, 'expected one b2_copy_file call')
        check(cv.file_name == copy_name, 'copy name %r' % cv.file_name)
        df = bucket.download_file_by_name(copy_name)
        got = download(df)
        check(got == small_v2, 'copy content differs: sha1 %s != %s' % (sha1(got), sha1(small_v2)))
        copied = df.download_version
        check(copied.file_info.get('color') == 'red', 'copy did not keep fileInfo: %r' % copied.file_info)
        check(copied.content_type == 'text/plain', 'copy did not keep contentType: %r' % copied.content_type)

    large_copy_name = 'copies/large copy.bin'
    with step('copy_large_with_copy_part'):
        m = mark()
        lcv = bucket.copy(lv.id_, large_copy_name, length=large_size, max_part_size=2 * rec,
                          content_type='application/x-copied', file_info={'copied': 'yes'})
        copy_parts = calls_named('copy_part', m)
        check(len(calls_named('start_large_file', m)) == 1, 'large copy did not start a large file')
        check(len(copy_parts) >= 2, 'expected >= 2 b2_copy_part calls, got %d' % len(copy_parts))
        check(lcv.size == large_size, 'large copy size %r' % lcv.size)
        got = download(api.download_file_by_id(lcv.id_))
        check(sha1(got) == sha1(large_data), 'large copy content differs (len %d)' % len(got))
        sys.stdout.write('  (large copy: %d b2_copy_part calls)\n' % len(copy_parts))

    # ------------------------------------------------------------------ unfinished large file
    with step('start_and_cancel_large_file'):
        unfinished_name = 'unfinished/abandoned.bin'
        uf = api.services.large_file.start_large_file(bucket.id_, unfinished_name, 'application/octet-stream',
                                                      {'why': 'cancel test'})
        part = large_data[:abs_min]
        api.session.upload_part(uf.file_id, 1, len(part), sha1(part), io.BytesIO(part))
        listed_parts = list(bucket.list_parts(uf.file_id))
        check([(p.part_number, p.content_sha1) for p in listed_parts] == [(1, sha1(part))],
              'list_parts %r' % [(p.part_number, p.content_sha1) for p in listed_parts])
        unfinished = [f.file_id for f in bucket.list_unfinished_large_files()]
        check(unfinished == [uf.file_id], 'list_unfinished_large_files %r, expected [%r]' % (unfinished, uf.file_id))
        r = bucket.cancel_large_file(uf.file_id)
        check(r.file_id == uf.file_id and r.file_name == unfinished_name, 'cancel returned %r' % (r.as_dict(),))
        names = [fv.file_name for fv, _ in bucket.ls(recursive=True)]
        check(unfinished_name not in names, 'cancelled file appears in ls')

    with step('no_unfinished_left'):
        left = [(f.file_id, f.file_name) for f in bucket.list_unfinished_large_files()]
        check(left == [], 'unfinished large files left: %r' % left)

    # ------------------------------------------------------------------ cleanup
    with step('delete_all_and_bucket'):
        for fv, _ in bucket.ls(latest_only=False, recursive=True):
            api.delete_file_version(fv.id_, fv.file_name)
        rest = [(fv.file_name, fv.id_) for fv, _ in bucket.ls(latest_only=False, recursive=True)]
        check(rest == [], 'versions left after deleting all: %r' % rest)
        api.delete_bucket(bucket)
        check(bucket_name not in [b.name for b in api.list_buckets()], 'bucket still listed after delete')

    with step('no_hidden_retries'):
        n = len(calls_named('authorize_account'))
        check(n == 1, 'b2_authorize_account was called %d times: some call failed with an auth error '
                      'and b2sdk re-authorized' % n)

    sys.stdout.write('ALL OK %d steps\n' % STEPS_DONE)
    sys.stdout.flush()


if __name__ == '__main__':
    main()
