import { readFileSync } from 'node:fs';

/** One Dockerfile instruction: keyword upper-cased, arguments as written. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
export function dockerfileInstructions(path: string): Instruction[] {
  return readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** `KEY=value KEY2="v a l"` → record (Dockerfile ENV syntax, as our Dockerfiles write it). */
export function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S+)/g)) {
    pairs[match[1] as string] = match[3] ?? (match[2] as string);
  }
  return pairs;
}

/** What the image's last stage runs with: its ENV (later wins), WORKDIR and exec-form CMD. */
export function imageRuntime(instructions: Instruction[]): {
  env: Record<string, string>;
  workdir: string;
  cmd: string[];
} {
  const lastStage = instructions.slice(instructions.findLastIndex(({ keyword }) => keyword === 'FROM'));
  const env = Object.assign(
    {},
    ...lastStage.filter(({ keyword }) => keyword === 'ENV').map(({ args }) => envPairs(args)),
  );
  const workdir = lastStage.filter(({ keyword }) => keyword === 'WORKDIR').at(-1)?.args ?? '/';
  const cmd = lastStage.filter(({ keyword }) => keyword === 'CMD').at(-1)?.args;
  if (!cmd?.startsWith('[')) throw new Error('the image has no exec-form CMD');
  return { env, workdir, cmd: JSON.parse(cmd) as string[] };
}

/** Shell words of a RUN line, with the quotes of `"${ARG}"` removed (our lines quote nothing else). */
function words(args: string): string[] {
  return args.split(/\s+/).map((word) => word.replace(/^"(.*)"$/, '$1'));
}

/**
 * The arguments every RUN line passes to `npx tsx <script>`, e.g. `['--api', '--out', '/dist']`
 * for `RUN npx tsx scripts/build-functions.ts --api --out /dist`.
 */
export function scriptRuns(instructions: Instruction[], script: string): string[][] {
  return instructions
    .filter(({ keyword }) => keyword === 'RUN')
    .map(({ args }) => words(args))
    .filter((run) => run[0] === 'npx' && run[1] === 'tsx' && run[2] === script)
    .map((run) => run.slice(3));
}

/** What the last stage copies out of earlier stages: `COPY --from=<stage> [--chown=…] <source> <destination>`. */
export function stageCopies(
  instructions: Instruction[],
): Array<{ from: string; source: string; destination: string }> {
  const lastStage = instructions.slice(instructions.findLastIndex(({ keyword }) => keyword === 'FROM'));
  return lastStage
    .filter(({ keyword, args }) => keyword === 'COPY' && args.startsWith('--from='))
    .map(({ args }) => {
      const parts = words(args);
      const from = (parts[0] as string).slice('--from='.length);
      const [source = '', destination = ''] = parts.filter((part) => !part.startsWith('--'));
      return { from, source, destination };
    });
}
