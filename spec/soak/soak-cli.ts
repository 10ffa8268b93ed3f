/**
 * `npm run soak`: the full fault soak, bounded in time. Prints the report table and exits with
 * status 1 when anything was lost, corrupted or orphaned, a rejection went unhandled, the run
 * hung, or a file changed while read was stored anyway (or failed with another error than
 * `source_changed`). It ends on its own once the emulator is closed: if something (a socket, a
 * timer) still holds the event loop 5 s later, it lists what and exits with status 3.
 *
 *   npm run soak -- --seed 7 --small 1000 --large 30 --paths 60 --changing 0.5 --concurrency 16 --probability 0.15 --stalls 16 --idle-ms 300 --time-limit 170 [--json]
 */
import { formatReport, runSoak, type SoakOptions } from './soak';

function parseArgs(argv: string[]): SoakOptions & { json: boolean } {
  const out: SoakOptions & { json: boolean } = { json: false };
  const num = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n)) throw new Error(`${flag} needs a number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--seed':
        out.seed = num(flag, argv[++i]);
        break;
      case '--small':
        out.smallUploads = num(flag, argv[++i]);
        break;
      case '--large':
        out.largeUploads = num(flag, argv[++i]);
        break;
      case '--listings':
        out.listings = num(flag, argv[++i]);
        break;
      case '--paths':
        out.pathUploads = num(flag, argv[++i]);
        break;
      case '--changing':
        out.changingShare = num(flag, argv[++i]);
        break;
      case '--stalls':
        out.stalls = num(flag, argv[++i]);
        break;
      case '--idle-ms':
        out.idleMs = num(flag, argv[++i]);
        break;
      case '--connect-ms':
        out.connectMs = num(flag, argv[++i]);
        break;
      case '--concurrency':
        out.concurrency = num(flag, argv[++i]);
        break;
      case '--probability':
        out.faultProbability = num(flag, argv[++i]);
        break;
      case '--time-limit':
        out.timeLimitMs = num(flag, argv[++i]) * 1000;
        break;
      case '--json':
        out.json = true;
        break;
      case '--help':
        process.stdout.write(
          'npm run soak -- [--seed N] [--small N] [--large N] [--paths N] [--changing SHARE] [--listings N] [--concurrency N] [--probability P] [--stalls N] [--idle-ms MS] [--connect-ms MS] [--time-limit SECONDS] [--json]\n',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag} (try --help)`);
    }
  }
  return out;
}

/** What still holds the event loop, one line each (Node's own diagnostics: no public API). */
function describeActiveHandles(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.map((h) => {
    const name = (h as object)?.constructor?.name ?? typeof h;
    const socket = h as { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number; destroyed?: boolean; _httpMessage?: { path?: string } };
    if (name === 'Socket' || name === 'TLSSocket') {
      return `${name} ${socket.localAddress}:${socket.localPort} -> ${socket.remoteAddress}:${socket.remotePort}${socket.destroyed ? ' (destroyed)' : ''}${socket._httpMessage?.path ? ` ${socket._httpMessage.path}` : ''}`;
    }
    const timer = h as { _idleTimeout?: number; _onTimeout?: { name?: string } };
    if (name === 'Timeout') return `Timeout ${timer._idleTimeout} ms (${timer._onTimeout?.name || 'anonymous'})`;
    return name;
  });
}

async function main(): Promise<void> {
  const { json, ...options } = parseArgs(process.argv.slice(2));
  const report = await runSoak({
    // The full soak: twice the brief's minimum of small uploads, three times its large ones.
    smallUploads: 1000,
    largeUploads: 30,
    abandonedUploads: 4,
    listings: 60,
    churn: 20,
    // 20 of each path kind, half of them changed while read.
    pathUploads: 60,
    // Two rounds of the certain stalls, beside those drawn at random.
    stalls: 16,
    timeLimitMs: 170_000,
    ...options,
    log: (line) => process.stderr.write(`soak: ${line}\n`),
  });
  process.stdout.write(`${json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
  process.exitCode = report.passed ? 0 : 1;
  // The process must end by itself now. If it does not within 5 s, say what keeps it alive.
  const watchdog = setTimeout(() => {
    process.stderr.write(
      `soak: the process did not exit 5 s after the emulator closed; still active:\n${describeActiveHandles()
        .map((l) => `  ${l}`)
        .join('\n')}\n`,
    );
    process.exit(3);
  }, 5000);
  watchdog.unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`soak: could not run: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
