/**
 * rxb2/emulator: a B2-compatible HTTP server for tests, demos and local development.
 *
 * @example
 * const emu = await startEmulator({ port: 0 });
 * // point any B2 client at emu.url with emu.keyId / emu.applicationKey
 * await emu.close();
 * @module rxb2/emulator
 */
import { Engine } from './engine';
import { FaultPlan } from './faults';
import { EmulatorServer } from './server';
import { createMemoryStore } from './store/memory-store';
import { createDiskStore } from './store/disk-store';
import type { EmulatorOptions, FaultRule } from './options';

export type { EmulatorOptions, Fault, FaultRule } from './options';

/** A running emulator and its test controls. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`: the realm to authorize against. */
  readonly url: string;
  /** The account's id (as on B2, the master key's id too). */
  readonly accountId: string;
  /** The master key: its id is the account id (as on B2). */
  readonly keyId: string;
  /** The master key's secret: with `keyId`, what a client authorizes with. */
  readonly applicationKey: string;
  /** Fault plan controls: add rules, clear them, count what was injected. */
  readonly faults: {
    /** Adds a rule after those in effect (rules are consulted in order; the first that fires wins). Throws a RangeError for a probability outside 0…1. */
    add(rule: FaultRule): void;
    /** Removes every rule (the counts of what was injected stay until `reset`). */
    clear(): void;
    /** How many faults of each kind were injected so far (`status:503`, `expiredToken`, `resetRequest`, …). */
    injected(): Record<string, number>;
  };
  /** Moves the emulator's clock forward: tokens, download authorizations and retention expire. */
  advanceClock(ms: number): void;
  /** Expires every token issued so far (clients get 401 expired_auth_token). */
  expireAllTokens(): void;
  /**
   * Empties the emulator between specs: deletes every bucket, file, unfinished large file and
   * application key, clears the fault plan (and its counts) and the request log. The account, its
   * master key and the tokens already issued stay valid, so a client can go on without signing in again.
   */
  reset(): Promise<void>;
  /** Stops listening, drops open connections (stalled ones too) and closes the store. */
  close(): Promise<void>;
}

/**
 * Starts an emulator. Resolves once it listens; with `dataDir`, state from an earlier run
 * (buckets, files, unfinished large files and their parts, keys) is loaded first.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const store = options.dataDir ? await createDiskStore(options.dataDir) : createMemoryStore();
  const absoluteMinimumPartSize = options.absoluteMinimumPartSize ?? 5_000_000;
  const engine = new Engine(store, {
    absoluteMinimumPartSize,
    recommendedPartSize: Math.max(options.recommendedPartSize ?? 100_000_000, absoluteMinimumPartSize),
    tokenLifetimeMs: (options.tokenLifetimeSeconds ?? 86_400) * 1000,
    failSomeUploadsEvery: options.failSomeUploadsEvery ?? 3,
    md5Limit: options.md5Limit ?? 100_000_000,
  });
  try {
    await engine.load(options.accountId, options.masterKey);
  } catch (err) {
    await store.close();
    throw err;
  }
  const faults = new FaultPlan(options.faults, options.faultSeed);
  const server = new EmulatorServer(engine, faults, options.console ?? false);
  let url: string;
  try {
    url = await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  } catch (err) {
    await store.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    accountId: engine.accountId,
    keyId: engine.accountId,
    applicationKey: engine.state.account.masterKey,
    faults: {
      add: (rule) => faults.add(rule),
      clear: () => faults.clear(),
      injected: () => faults.injected(),
    },
    advanceClock: (ms) => engine.clock.advance(ms),
    expireAllTokens: () => engine.tokens.expireAll(),
    reset: async () => {
      faults.clear();
      faults.resetCounts();
      server.log.clear();
      await engine.state.reset();
    },
    close: () => (closing ??= server.close().then(() => store.close())),
  };
}
