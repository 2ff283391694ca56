import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterTemplateProblems, type PackageFiles, preReleaseNames } from './rules.js';

const root = join(import.meta.dirname, '..', '..', '..');

function packageFiles(dir: string): PackageFiles {
  const read = (path: string) =>
    existsSync(join(dir, path)) ? readFileSync(join(dir, path), 'utf8') : undefined;
  const srcFiles = readdirSync(join(dir, 'src'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'));
  return {
    packageJson: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')),
    index: read('src/index.ts') ?? '',
    src: Object.fromEntries(
      srcFiles.filter((f) => !f.endsWith('.test.ts')).map((f) => [f, read(`src/${f}`) ?? '']),
    ),
    conformanceTest: read('test/conformance.test.ts') ?? read('src/conformance.test.ts'),
  };
}

/** .ts and .md files of a package, without node_modules, dist and test output. */
function sourceFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'test-results', '.turbo'].includes(entry.name))
        out.push(...sourceFiles(dir, path));
    } else if (/\.(ts|md)$/.test(entry.name)) out.push(path);
  }
  return out;
}

const adapters = readdirSync(join(root, 'packages'))
  .map((name) => ({ name, dir: join(root, 'packages', name) }))
  .filter(({ dir }) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).mailplug);

describe('every adapter package follows the template', () => {
  it('finds the adapters', () => {
    expect(adapters.map((a) => a.name)).toEqual(expect.arrayContaining(['auth-basic', 'protocol-smtp']));
  });

  it.each(adapters)(
    '$name: factory + default instance, manifest through core, short conformance test',
    ({ dir }) => {
      expect(adapterTemplateProblems(packageFiles(dir))).toEqual([]);
    },
  );
});

describe('the rules catch a package that breaks them', () => {
  const good: PackageFiles = {
    packageJson: { name: '@acme/auth-acme', mailplug: { specificationVersion: 'v1' } },
    index: "export { activate, acme, createAcme } from './acme-provider.js';\n",
    src: {
      'acme-provider.ts':
        "const c = readAdapterManifest(packageJson).authProvider('acme');\nexport function createAcme() {}\nexport const acme = createAcme();\nexport function activate() {}\n",
    },
    conformanceTest:
      "import { it } from 'vitest';\nauthProviderSuite(it, (o) => createAcme(o), { packageJson });\n",
  };

  it('a good package has no problems', () => {
    expect(adapterTemplateProblems(good)).toEqual([]);
  });

  it.each([
    ['code in index.ts', { ...good, index: `${good.index}export const x = 1;\n` }, /only re-export/],
    [
      'no provider file',
      { ...good, src: { 'acme.ts': good.src['acme-provider.ts'] ?? '' } },
      /-provider\.ts/,
    ],
    [
      'no default instance',
      { ...good, index: "export { activate, createAcme } from './acme-provider.js';\n" },
      /default instance/,
    ],
    [
      'hand-copied manifest',
      {
        ...good,
        src: {
          'acme-provider.ts':
            'export function createAcme() {}\nexport const acme = 1;\nconst m = pkg.mailplug as unknown as AdapterManifest;\n',
        },
      },
      /readAdapterManifest/,
    ],
    ['no conformance test', { ...good, conformanceTest: undefined }, /conformance test/],
    ['long conformance test', { ...good, conformanceTest: 'x;\n'.repeat(40) }, /40 lines/],
  ])('%s', (_name, files, problem) => {
    expect(adapterTemplateProblems(files as PackageFiles).join('\n')).toMatch(problem);
  });
});

describe('one vocabulary', () => {
  it('no pre-release names or "seeds" in packages and apps', () => {
    const hits: string[] = [];
    for (const group of ['packages', 'apps']) {
      for (const name of readdirSync(join(root, group))) {
        const dir = join(root, group, name);
        for (const file of sourceFiles(dir)) {
          for (const found of preReleaseNames(readFileSync(join(dir, file), 'utf8')))
            hits.push(`${group}/${name}/${file}: ${found}`);
        }
      }
    }
    expect(hits).toEqual([]);
  });

  it('the check sees the old names', () => {
    expect(
      preReleaseNames('const d: AuthProviderDefinition = mailer.authProviderFor(a); // the seeds'),
    ).toEqual(['AuthProviderDefinition', 'authProviderFor', 'seeds']);
  });
});
