// @ts-check
// ESLint for rxb2: typescript-eslint's type-checked recommended rules, tuned so that what is left
// on is a real problem (an error), and what only produced noise on this code base is off, each
// with the reason next to it. Formatting is Prettier's job (`npm run format`), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node's globals for the plain JavaScript build scripts (.ci/*.mjs). */
const nodeGlobals = Object.fromEntries(['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setImmediate', 'structuredClone'].map((name) => [name, 'readonly']));

export default tseslint.config(
  { ignores: ['dist/', 'lib/', 'lib.*/', 'docs/', 'tmp/', '**/node_modules/', 'examples/*/dist/', 'examples/*/.angular/'] },
  js.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Async implementations of async contracts (the memory store, the browser platform, async
      // iterators) have nothing to await; flagging them is noise.
      '@typescript-eslint/require-await': 'off',
      // The name rules match control characters on purpose (B2 refuses code points below 0x20).
      'no-control-regex': 'off',
      // tsconfig's noFallthroughCasesInSwitch already checks this, and knows `process.exit()` never returns.
      'no-fallthrough': 'off',
      // String(unknown) is used deliberately on wire input and in the secrets specs (which check that
      // stringifying an object leaks nothing); "[object Object]" is what those places expect.
      '@typescript-eslint/no-base-to-string': 'off',
      // Diagnostics put numbers, arrays and `never` in template strings on purpose.
      '@typescript-eslint/restrict-template-expressions': 'off',
      // A redundant assertion is harmless, and the rule's fix is not safe here: it removed the
      // `as { duration?: unknown; unit?: unknown } | null` that src/emulator/handlers/buckets.ts needs
      // (TypeScript then sees `{}` and the build fails).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Every hit was a function-valued property of an interface written with method shorthand
      // (ParseOutput, the engine's state API), never a class method that uses `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Each hit threw a new, different error from a catch block (e.g. "data directory in use"),
      // not a re-wrap of the caught one.
      'preserve-caught-error': 'off',
      // Rethrowing or rejecting with an error kept as `unknown` (from an Observable's error callback,
      // a stored failure) is the correct thing to do. TypeScript narrows such a stored `unknown` to
      // `{}` after the `!== undefined` check, which this rule then flags on every rethrow; errors are
      // created by B2Error/invalidArgument()/new Error() throughout, so nothing is lost by turning it off.
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // `a || b` as a statement ("hide, or else upload") is used on purpose in the crash specs.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Reading a package's own package.json with require() is the CommonJS way to get its version.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['/package\\.json$'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Specs drive the emulator over raw HTTP and read whatever JSON comes back: `any` there is the
    // point (the spec asserts on its shape), so the no-unsafe-* family would flag every assertion.
    files: ['spec/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The Angular example imports `rxb2/angular` from the built package (lib/, made by its own spec),
    // which a fresh clone does not have when lint runs: its type-aware rules would see unresolved
    // types. Angular's compiler checks it strictly (strictTemplates) in spec/browser/angular-example.
    files: ['examples/**/*.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
);
