/**
 * @mailplug/bench — side-by-side benchmarks (Mailplug vs the raw libraries). Private. The runnable
 * entry is `dist/run.js` (`pnpm bench`); this entry exports the pure helpers for tests and reuse.
 */
export { type BenchArgs, FIGURE_IDS, type FigureId, parseArgs } from './args.js';
export type { FigureResult } from './figure.js';
export { fixed, median, mib, ratio, slope } from './stats.js';
export {
  requestAccessToken,
  startTokenEndpoint,
  type TokenEndpoint,
  type TokenEndpointClient,
} from './token-endpoint.js';
