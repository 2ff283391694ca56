/** Command line of `node dist/run.js`: `--only smtp,tokens` `--quick` `--rounds 3` `--out file`. */

export const FIGURE_IDS = ['smtp', 'tokens', 'cold-start', 'rss', 'receive', 'hung-token'] as const;
export type FigureId = (typeof FIGURE_IDS)[number];

export interface BenchArgs {
  readonly only: readonly FigureId[];
  readonly quick: boolean;
  /** Overrides the rounds of the round-based figures (smtp, cold-start, receive). */
  readonly rounds?: number;
  readonly out?: string;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const only = new Set<FigureId>();
  let quick = false;
  let rounds: number | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // pnpm may pass the `--` separator through; it carries no meaning here.
    if (arg === '--') continue;
    const [flag, inline] = arg.includes('=')
      ? (arg.split(/=(.*)/s, 2) as [string, string])
      : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--only':
        for (const id of value().split(',')) {
          const trimmed = id.trim();
          if (!(FIGURE_IDS as readonly string[]).includes(trimmed)) {
            throw new Error(`Unknown figure "${trimmed}"; use one of ${FIGURE_IDS.join(', ')}`);
          }
          only.add(trimmed as FigureId);
        }
        break;
      case '--rounds': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 15)
          throw new Error('--rounds must be an integer from 1 to 15');
        rounds = n;
        break;
      }
      case '--out':
        out = value();
        break;
      default:
        throw new Error(
          `Unknown argument "${arg}" (use --only <${FIGURE_IDS.join('|')}>, --quick, --rounds N, --out file)`,
        );
    }
  }
  return {
    only: only.size > 0 ? FIGURE_IDS.filter((id) => only.has(id)) : [...FIGURE_IDS],
    quick,
    ...(rounds !== undefined ? { rounds } : {}),
    ...(out !== undefined ? { out } : {}),
  };
}
