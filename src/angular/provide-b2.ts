/** `provideB2()`: a `B2` client in Angular's dependency injection, under the `B2_CLIENT` token. */
import { InjectionToken, makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
// Only the public face of rxb2 (src/index.ts), as an application would.
import { B2, B2Error, type B2Options } from '../index';

/** Input rejected before anything happens, naming the field (as rxb2's own `invalid_argument`). */
const invalidArgument = (field: string, problem: string) => new B2Error({ status: 0, code: 'invalid_argument', message: `${field}: ${problem}`, field });

/** The injection token of the app's `B2` client: `inject(B2_CLIENT)`. Provided by `provideB2()`. */
export const B2_CLIENT = new InjectionToken<B2>('rxb2 B2 client');

/**
 * Provides a `B2` client for `inject(B2_CLIENT)`: from options (`new B2(options)`), or from a
 * factory run in an injection context on first injection (it may `inject()` what it needs). One
 * client per environment injector, created when first injected; every call on it is a cold
 * Observable as usual.
 *
 * A browser app should not hold an account key (a user can read it): in pages, prefer
 * `uploadWithAuthorization` with a server that hands out upload authorizations. `provideB2` is
 * for server-side rendering, admin tools, and restricted keys a server made for the page.
 *
 * Errors: called without options and without a factory, or with options that `new B2(options)`
 * refuses (no `applicationKeyId` / `applicationKey` and no `B2_APPLICATION_KEY_ID` /
 * `B2_APPLICATION_KEY` in a Node environment, a realm that is no http(s) URL…), it throws that
 * `B2Error` `invalid_argument` at once, naming the field.
 * A factory that returns something else than a `B2` fails the first injection, naming the factory.
 *
 * @example
 * bootstrapApplication(AppComponent, { providers: [provideB2(() => new B2({ ...inject(KEYS) }))] });
 * // in a service: readonly b2 = inject(B2_CLIENT);
 */
export function provideB2(config: B2Options | (() => B2)): EnvironmentProviders {
  if (typeof config === 'function') {
    const factory = config;
    return makeEnvironmentProviders([
      {
        provide: B2_CLIENT,
        useFactory: () => {
          const b2 = factory();
          if (!(b2 instanceof B2)) throw invalidArgument('provideB2', 'the factory must return a B2 client (new B2({ … }))');
          return b2;
        },
      },
    ]);
  }
  if (typeof config !== 'object' || config === null) {
    throw invalidArgument('provideB2', 'needs credentials ({ applicationKeyId, applicationKey }) or a factory (() => new B2(…))');
  }
  const options = { ...config };
  // The client's own checks (credentials, realm, timeouts…), at the call: the first injector gets
  // this client, every other one a new one.
  let first: B2 | undefined = checkedClient(options);
  return makeEnvironmentProviders([
    {
      provide: B2_CLIENT,
      useFactory: () => {
        const b2 = first ?? new B2(options);
        first = undefined;
        return b2;
      },
    },
  ]);
}

/** `new B2(options)`; its `invalid_argument` says where it came from and that a factory is the other way. */
function checkedClient(options: B2Options): B2 {
  try {
    return new B2(options);
  } catch (err) {
    if (!(err instanceof B2Error) || err.code !== 'invalid_argument') throw err;
    throw new B2Error({ status: 0, code: 'invalid_argument', field: err.field, message: `${err.message} (in provideB2({ … }); or pass a factory: () => new B2(…))` });
  }
}
