/**
 * Server-rendered HTML without a template engine: `html` escapes every interpolated value unless
 * it is already `Html` (built by `html` itself or marked with `raw`). Nothing an admin or an
 * identity platform typed can reach the page unescaped.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Marks trusted markup (only for text this app wrote itself). */
export function raw(text: string): Html {
  return new Html(text);
}

export const when = (condition: unknown, value: () => HtmlValue): HtmlValue => (condition ? value() : '');
