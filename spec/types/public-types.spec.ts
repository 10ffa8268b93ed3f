/**
 * The public types use the project's unions, not bare `string`: checked by the compiler (each
 * `Same<…>` below fails to type-check when the two types differ), and at run time for the values
 * the unions must keep accepting.
 */
import type { B2BucketType, B2Capability, B2ContentSha1, B2ErrorCode, B2FileAction, CreateKeyOptions } from '../../src';
import { B2Error, type B2File, type Bucket } from '../../src';

/** `true` only when A and B are the same type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe('public types', () => {
  it('use the unions for file actions, bucket types, capabilities, SHA-1s and error codes', () => {
    const checks: true[] = [
      true satisfies Same<B2File['action'], B2FileAction>,
      true satisfies Same<B2File['contentSha1'], B2ContentSha1 | null>,
      true satisfies Same<Bucket['bucketType'], B2BucketType>,
      true satisfies Same<CreateKeyOptions['capabilities'], (B2Capability | (string & {}))[]>,
      true satisfies Same<B2Error['code'], B2ErrorCode>,
    ];
    expect(checks.length).toBe(5);
  });

  it('still accept what B2 may add later: unknown codes and capabilities', () => {
    const err = new B2Error({ status: 400, code: 'a_code_b2_adds_later', message: 'x' });
    expect(err.code).toBe('a_code_b2_adds_later');
    const capabilities: CreateKeyOptions['capabilities'] = ['listFiles', 'aCapabilityB2AddsLater'];
    expect(capabilities).toEqual(['listFiles', 'aCapabilityB2AddsLater']);
    const none: B2ContentSha1 = 'none';
    expect(none).toBe('none');
  });
});
