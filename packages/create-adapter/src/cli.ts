#!/usr/bin/env node
/**
 * `npm create @mailplug/adapter <dir> [--id <provider-id>] [--label <label>] [--name <package-name>]`
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateAdapterError } from './names.js';
import { scaffoldAdapter } from './scaffold.js';

const USAGE = `Usage: npm create @mailplug/adapter <dir> [-- --id <provider-id>] [--label "<label>"] [--name <package-name>]
  <dir>     where the package goes (new or empty); its name is the default package name
  --id      the provider id hosts store in accounts (default: from the package name)
  --label   what admins see (default: the id in title case)
  --name    the npm package name, e.g. @acme/mailplug-auth (default: the directory's name)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      label: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [directory] = positionals;
  if (values.help || !directory || positionals.length > 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const result = await scaffoldAdapter({
    directory,
    ...(values.name !== undefined ? { packageName: values.name } : {}),
    ...(values.id !== undefined ? { providerId: values.id } : {}),
    ...(values.label !== undefined ? { label: values.label } : {}),
  });
  const where = relative(process.cwd(), result.directory) || '.';
  console.log(`Created ${result.names.packageName} (provider "${result.names.providerId}") in ${where}:`);
  for (const file of result.files) console.log(`  ${file}`);
  console.log(
    `\nNext:\n  cd ${where}\n  npm install\n  npm test    # the Mailplug conformance suite, green out of the box`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CreateAdapterError) {
      console.error(`${error.message}\n${error.hint}`);
    } else {
      console.error(error instanceof Error ? error.message : String(error));
      console.error(USAGE);
    }
    process.exitCode = 1;
  },
);
