/**
 * rxb2/operators: the RxJS operators on their own, for code that pipes B2 streams but does not need
 * the client (the same functions `rxb2` re-exports).
 *
 * @example
 * import { retryB2, toResponseBody } from 'rxb2/operators';
 * bucket.uploadFile({ fileName: 'a.txt', contents: 'hello' }).pipe(retryB2({ maxAttempts: 5 }), toResponseBody());
 *
 * @module rxb2/operators
 */
export { retryB2, type RetryB2Options, type B2RetryEvent } from './retry-b2';
export { paginate } from './paginate';
export { Listing } from './listing';
export { toResponseBody } from './to-response-body';
export { throttleProgress } from './throttle-progress';
