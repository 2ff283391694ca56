import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { distEntry, runChild } from '../child.js';
import { type FigureResult, figureLog } from '../figure.js';
import { fixed, median, ratio } from '../stats.js';

type Variant = 'lazy' | 'eager';

interface ColdStartChildResult {
  variant: Variant;
  workMs: number;
  sinceProcessStartMs: number;
  discovered: number;
  contributions: number;
  moduleCount?: number;
  esmModules?: number;
  cjsModules?: number;
  heavyLibrariesLoaded?: string[];
}

/** The bench's dependencies that declare a `mailplug` manifest: the adapters a host would install. */
export function adapterPackages(): string[] {
  const benchPackageJson = new URL('../package.json', import.meta.url);
  const pkg = JSON.parse(readFileSync(benchPackageJson, 'utf8')) as { dependencies?: Record<string, string> };
  const require = createRequire(benchPackageJson);
  return Object.keys(pkg.dependencies ?? {}).filter((name) => {
    try {
      const dir = dirname(require.resolve(`${name}/package.json`));
      return 'mailplug' in (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as object);
    } catch {
      return false;
    }
  });
}

/**
 * Figure 3: a fresh process importing core, discovering adapters from package.json manifests and
 * listing them (adapter code stays unloaded) vs importing every adapter eagerly first.
 */
export async function coldStartFigure(ctx: { quick: boolean; rounds?: number }): Promise<FigureResult> {
  const { lines, log } = figureLog('cold-start');
  const runs = ctx.rounds ? Math.max(3, ctx.rounds * 2 + 1) : ctx.quick ? 3 : 9;
  const adapters = adapterPackages();
  const entry = distEntry('cold-start-child.js');
  const spawn = (variant: Variant, mode: 'time' | 'count') =>
    runChild<ColdStartChildResult>(entry, undefined, {
      timeoutMs: 60_000,
      args: [variant, mode, JSON.stringify(adapters)],
    });

  log(`${runs} fresh processes per variant, interleaved; adapters: ${adapters.join(', ')}`);
  const counts: Partial<Record<Variant, ColdStartChildResult>> = {};
  for (const variant of ['lazy', 'eager'] as const) counts[variant] = await spawn(variant, 'count');
  const times: Record<Variant, number[]> = { lazy: [], eager: [] };
  const totals: Record<Variant, number[]> = { lazy: [], eager: [] };
  for (let i = 0; i < runs; i++) {
    const order: Variant[] = i % 2 === 0 ? ['lazy', 'eager'] : ['eager', 'lazy'];
    for (const variant of order) {
      const r = await spawn(variant, 'time');
      times[variant].push(r.workMs);
      totals[variant].push(r.sinceProcessStartMs);
    }
  }
  const lazyMs = median(times.lazy);
  const eagerMs = median(times.eager);
  const lazyModules = counts.lazy?.moduleCount ?? Number.NaN;
  const eagerModules = counts.eager?.moduleCount ?? Number.NaN;
  log(
    `lazy  (core + discover + list)        median ${fixed(lazyMs)} ms import+list (${fixed(median(totals.lazy))} ms since process start), ${lazyModules} modules (ESM ${counts.lazy?.esmModules}, CJS ${counts.lazy?.cjsModules}), heavy libs loaded: ${counts.lazy?.heavyLibrariesLoaded?.join(', ') || 'none'}; ${counts.lazy?.contributions} contributions listed`,
  );
  log(
    `eager (import every adapter first)    median ${fixed(eagerMs)} ms import+list (${fixed(median(totals.eager))} ms since process start), ${eagerModules} modules (ESM ${counts.eager?.esmModules}, CJS ${counts.eager?.cjsModules}), heavy libs loaded: ${counts.eager?.heavyLibrariesLoaded?.join(', ') || 'none'}; ${counts.eager?.contributions} contributions listed`,
  );
  const timeRatio = ratio(eagerMs, lazyMs);
  const moduleRatio = ratio(eagerModules, lazyModules);
  log(
    `ratio eager / lazy: time ${fixed(timeRatio, 2)}x, modules ${fixed(moduleRatio, 2)}x (goal: lazy loads no adapter library and is faster)`,
  );
  const lazyClean = (counts.lazy?.heavyLibrariesLoaded?.length ?? 1) === 0;
  return {
    id: 'cold-start',
    title: 'Cold start: registry discover + list vs eager imports',
    ran: true,
    lines,
    goal: 'lazy start loads no adapter library (nodemailer, msal, google-auth-library, imapflow) and takes less time than eager',
    goalMet: lazyClean && timeRatio > 1,
    data: {
      runs,
      adapters,
      workMs: times,
      sinceProcessStartMs: totals,
      medianWorkMs: { lazy: lazyMs, eager: eagerMs },
      moduleCount: { lazy: lazyModules, eager: eagerModules },
      moduleSources: {
        lazy: { esm: counts.lazy?.esmModules, cjs: counts.lazy?.cjsModules },
        eager: { esm: counts.eager?.esmModules, cjs: counts.eager?.cjsModules },
      },
      heavyLibrariesLoaded: {
        lazy: counts.lazy?.heavyLibrariesLoaded,
        eager: counts.eager?.heavyLibrariesLoaded,
      },
      contributions: { lazy: counts.lazy?.contributions, eager: counts.eager?.contributions },
      timeRatio,
      moduleRatio,
    },
  };
}
