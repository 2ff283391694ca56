import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapterPackageJson, type TemplateVersions } from './manifest.js';
import { type AdapterNames, adapterNames, CreateAdapterError } from './names.js';

export interface ScaffoldOptions {
  /** Where the package goes; created if missing, refused if not empty. */
  readonly directory: string;
  /** npm package name. Default: the directory's name. */
  readonly packageName?: string;
  /** Provider id. Default: the package name without scope and `mailplug-` prefix. */
  readonly providerId?: string;
  /** What admins see. Default: the id in title case. */
  readonly label?: string;
  /** Version ranges to pin instead of the ones this release of create-adapter was tested with. */
  readonly versions?: Partial<TemplateVersions>;
}

export interface ScaffoldResult {
  readonly directory: string;
  readonly names: AdapterNames;
  /** Paths written, relative to `directory`. */
  readonly files: readonly string[];
}

// This package's root (dist/ or src/ sit one level below it) holds the template and the package.json
// whose devDependencies are the versions the generated package pins. `__dirname` in the CJS build.
const packageRoot = resolve(
  typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url)),
  '..',
);

/**
 * The ranges this create-adapter release was tested with: its own devDependencies (a published
 * release carries real ranges; in the Mailplug workspace they are `workspace:` links).
 */
function testedVersions(): TemplateVersions {
  const own = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const range = (name: string) => {
    const value = own.devDependencies?.[name] ?? '*';
    return value.startsWith('workspace:') ? '*' : value;
  };
  return {
    core: range('@mailplug/core'),
    testkit: range('@mailplug/testkit'),
    emulator: range('@mailplug/emulator'),
    typescript: range('typescript'),
    vitest: range('vitest'),
    typesNode: range('@types/node'),
  };
}

function fill(text: string, names: AdapterNames): string {
  return text
    .replaceAll('__PACKAGE_NAME__', names.packageName)
    .replaceAll('__PROVIDER_ID__', names.providerId)
    .replaceAll('__LABEL__', names.label)
    .replaceAll('__PASCAL__', names.pascal)
    .replaceAll('__CAMEL__', names.camel)
    .replaceAll('__FILE__', names.providerId);
}

async function templateFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * Writes a provider package that follows the Mailplug adapter template: the manifest in
 * package.json, `src/<id>-provider.ts` with `createX` and the default instance, `activate`, and a
 * conformance test that runs green against `@mailplug/emulator`.
 *
 * @example
 * const { files } = await scaffoldAdapter({ directory: 'mailplug-acme-mail', label: 'Acme Mail' });
 */
export async function scaffoldAdapter(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const directory = resolve(options.directory);
  const names = adapterNames({
    packageName: options.packageName ?? basename(directory),
    ...(options.providerId !== undefined ? { providerId: options.providerId } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
  });
  if (existsSync(directory) && (await readdir(directory)).length > 0) {
    throw new CreateAdapterError(
      `${directory} already exists and is not empty.`,
      'Name a new directory, or empty this one first.',
    );
  }
  const versions = { ...testedVersions(), ...options.versions };
  const templateDir = join(packageRoot, 'template');
  const written: string[] = [];
  for (const file of await templateFiles(templateDir)) {
    // npm never publishes a file named .gitignore, so the template keeps it as gitignore.
    const target = fill(file === 'gitignore' ? '.gitignore' : file, names);
    await mkdir(dirname(join(directory, target)), { recursive: true });
    await writeFile(join(directory, target), fill(await readFile(join(templateDir, file), 'utf8'), names));
    written.push(target);
  }
  await writeFile(
    join(directory, 'package.json'),
    `${JSON.stringify(adapterPackageJson(names, versions), null, 2)}\n`,
  );
  written.push('package.json');
  return { directory, names, files: written.sort() };
}
