import type { FigureId } from './args.js';

/** One benchmark figure as printed and as written to results/latest.json. */
export interface FigureResult {
  readonly id: FigureId;
  readonly title: string;
  /** Whether the figure ran; when not, `skippedReason` says why. */
  readonly ran: boolean;
  readonly skippedReason?: string;
  /** The labelled lines printed for this figure (also kept in the JSON). */
  readonly lines: string[];
  readonly goal?: string;
  /** undefined when the figure has no goal or did not run. */
  readonly goalMet?: boolean;
  readonly data: Record<string, unknown>;
}

export interface FigureContext {
  readonly quick: boolean;
  readonly rounds?: number;
  /** Prints one labelled line and records it. */
  log(line: string): void;
}

/** Collects printed lines for a figure. */
export function figureLog(prefix: string): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    log(line) {
      lines.push(line);
      process.stdout.write(`[${prefix}] ${line}\n`);
    },
  };
}
