/** What the template check reads of one package. */
export interface PackageFiles {
  readonly packageJson: { readonly name?: string; readonly mailplug?: unknown };
  readonly index: string;
  /** Source files (not tests) by path under src/. */
  readonly src: Readonly<Record<string, string>>;
  readonly conformanceTest: string | undefined;
}

const MAX_CONFORMANCE_LINES = 15;

/**
 * The adapter template: `src/index.ts` only re-exports; `src/<name>-provider.ts` or
 * `-protocol.ts` holds `createX` and the default instance, both exported from the entry; the
 * manifest is read through core (`readAdapterManifest`, or `defineAuthProvider` which uses it),
 * never hand-copied; a conformance test of at most 15 lines.
 */
export function adapterTemplateProblems(files: PackageFiles): string[] {
  const problems: string[] = [];
  const code = files.index.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  for (const statement of code
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!/^export (type )?(\*|\{[\s\S]*\}) from '[^']+'$/.test(statement)) {
      problems.push(`src/index.ts must only re-export; found: ${statement.slice(0, 60)}`);
    }
  }
  const templateFiles = Object.keys(files.src).filter((f) => /^[^/]+-(provider|protocol)\.ts$/.test(f));
  if (templateFiles.length === 0) problems.push('no src/<name>-provider.ts or src/<name>-protocol.ts');
  const exported = new Set(
    [...code.matchAll(/(?:^|[{,\s])(?:type\s+)?([A-Za-z_$][\w$]*)(?=\s*[,}])/g)].map((m) => m[1]),
  );
  const factories = [...exported].filter((n) => /^create[A-Z]/.test(n ?? ''));
  if (factories.length === 0) problems.push('the entry exports no createX factory');
  const hasInstance = factories.some((f) => {
    const base = (f ?? '').slice('create'.length);
    return [...exported].some((n) => n !== f && n && base.toLowerCase().startsWith(n.toLowerCase()));
  });
  if (!hasInstance)
    problems.push('the entry exports no default instance beside its factory (createAcme + acme)');
  const source = Object.values(files.src).join('\n');
  if (
    !/readAdapterManifest\(|defineAuthProvider\(/.test(source) ||
    /as unknown as AdapterManifest/.test(source)
  ) {
    problems.push(
      'the manifest must be read through core (readAdapterManifest / defineAuthProvider), not copied or cast',
    );
  }
  if (files.conformanceTest === undefined) problems.push('no conformance test (test/conformance.test.ts)');
  else {
    const lines = files.conformanceTest.split('\n').filter((l) => l.trim()).length;
    if (lines > MAX_CONFORMANCE_LINES)
      problems.push(`the conformance test has ${lines} lines (at most ${MAX_CONFORMANCE_LINES})`);
  }
  return problems;
}

/** Names the contract rename retired, and the word product text must not use. */
export function preReleaseNames(text: string): string[] {
  return [...text.matchAll(/AuthProviderDefinition|authProviderFor|noConfusingVoidType|seeds/g)].map(
    (m) => m[0],
  );
}
