/** A benchmark run on its own (`npx tsx bench/NAME.ts ARGS`): its numbers from the command line, its summary, then the result as one JSON line. */
import { pathToFileURL } from 'node:url';

export function runWhenMain<R>(metaUrl: string, run: (args: number[]) => Promise<R>, print: (r: R) => void): void {
  if (process.argv[1] === undefined || metaUrl !== pathToFileURL(process.argv[1]).href) return;
  run(process.argv.slice(2).map(Number)).then(
    (r) => {
      print(r);
      console.log(JSON.stringify(r));
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
