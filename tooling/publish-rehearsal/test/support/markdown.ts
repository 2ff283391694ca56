import { readFileSync } from 'node:fs';

export interface CodeBlock {
  /** The fence's language (`ts`, `json`...). */
  readonly language: string;
  /** `title="src/x.ts"` on the fence line: the file the block is. */
  readonly title?: string;
  readonly code: string;
  /** 1-based line of the fence, for messages. */
  readonly line: number;
}

/** Every fenced code block of a Markdown file, in order. */
export function codeBlocks(file: string | URL): CodeBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
    const title = /title="([^"]+)"/.exec(open[2] ?? '')?.[1];
    blocks.push({
      language: open[1] ?? '',
      ...(title ? { title } : {}),
      code: `${body.join('\n')}\n`,
      line: start + 1,
    });
  }
  return blocks;
}
