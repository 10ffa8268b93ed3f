#!/usr/bin/env node
/** `rxb2-emulator [--host H] [--port P] [--data DIR] [--part-size N] [--min-part-size N]`: runs the emulator until interrupted. */
import { startEmulator, type EmulatorOptions } from './index';

function parseArgs(argv: string[]): EmulatorOptions {
  const options: EmulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`${flag} needs a whole number, not ${v}`);
      return Number(v);
    };
    switch (flag) {
      case '--host': options.host = value(); break;
      case '--port': options.port = int(); break;
      case '--data': options.dataDir = value(); break;
      case '--part-size': options.recommendedPartSize = int(); break;
      case '--min-part-size': options.absoluteMinimumPartSize = int(); break;
      case '--token-lifetime': options.tokenLifetimeSeconds = int(); break;
      case '-h':
      case '--help':
        process.stdout.write('usage: rxb2-emulator [--host 127.0.0.1] [--port 0] [--data DIR] [--part-size BYTES] [--min-part-size BYTES] [--token-lifetime SECONDS]\n');
        process.exit(0);
      default:
        throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const emulator = await startEmulator(options);
  process.stdout.write(
    `rxb2 emulator listening on ${emulator.url}\n` +
      `  data:            ${options.dataDir ?? '(in memory)'}\n` +
      `  keyId:           ${emulator.keyId}\n` +
      `  applicationKey:  ${emulator.applicationKey}\n`,
  );
  const stop = () => {
    emulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`rxb2-emulator: ${err.message}\n`);
  process.exit(2);
});
