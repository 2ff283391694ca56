/**
 * Fixed seed values for fast-check properties, so that `pnpm test` never passes or fails on luck (no
 * dependency on fast-check: `params` is what `fc.assert(property, params)` takes).
 *
 * - Default: every property runs with its own fixed `seed` and `numRuns`; the seed is in the test name.
 * - `MAILPLUG_FUZZ=1` (root `pnpm test:fuzz`): a random seed, printed, and `fuzzRuns` runs per property.
 *   `MAILPLUG_FUZZ_SEED=<n>` replays such a run. A counterexample found this way is added to the
 *   property's `examples` (with the seed that found it in a comment), so it is checked on every run.
 */
const fuzzing = process.env.MAILPLUG_FUZZ === '1' || Boolean(process.env.MAILPLUG_FUZZ_SEED);

function randomSeed(): number {
  const given = process.env.MAILPLUG_FUZZ_SEED;
  if (given) {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`MAILPLUG_FUZZ_SEED must be an integer, got "${given}"`);
    return seed | 0;
  }
  return (Date.now() ^ (Math.random() * 0x100000000)) | 0;
}

/** One seed per test file (process) in fuzz mode; the root runner passes one for all files. */
let fuzzSeed: number | undefined;
function seedForThisRun(): number | undefined {
  if (fuzzing && fuzzSeed === undefined) {
    fuzzSeed = randomSeed();
    console.info(
      `[fuzz] fast-check seed ${fuzzSeed} (replay: MAILPLUG_FUZZ_SEED=${fuzzSeed} pnpm test:fuzz)`,
    );
  }
  return fuzzSeed;
}

export interface PropertyRun<Ts> {
  /** Goes into the test name: `seed 123` (fixed) or `fuzz seed 456, 5000 runs`. */
  readonly label: string;
  readonly numRuns: number;
  /** For `fc.assert(property, params)`. */
  readonly params: { readonly seed: number; readonly numRuns: number; readonly examples?: Ts[] };
}

/**
 * The seed, run count and known counterexamples of one property.
 *
 * @example
 * const run = propertyRun<[string]>({ seed: 0x5317, numRuns: 300, examples: [['']] });
 * it(`never throws (${run.label})`, () => fc.assert(fc.property(fc.string(), check), run.params));
 */
export function propertyRun<Ts>(options: {
  /** The fixed seed `pnpm test` uses. */
  readonly seed: number;
  readonly numRuns: number;
  /** Runs under `MAILPLUG_FUZZ=1` (default: 10 × `numRuns`). */
  readonly fuzzRuns?: number;
  /** Counterexamples found so far: checked first, on every run. */
  readonly examples?: Ts[];
}): PropertyRun<Ts> {
  const random = seedForThisRun();
  const seed = random ?? options.seed;
  const numRuns = random === undefined ? options.numRuns : (options.fuzzRuns ?? options.numRuns * 10);
  return {
    label: random === undefined ? `seed ${seed}` : `fuzz seed ${seed}, ${numRuns} runs`,
    numRuns,
    params: { seed, numRuns, ...(options.examples ? { examples: options.examples } : {}) },
  };
}
