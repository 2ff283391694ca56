// Runs publint and arethetypeswrong on every publishable (non-private) workspace package.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
let failures = 0;
for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkgDir = join(dir, name);
    const pkgFile = join(pkgDir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    if (pkg.private) continue;
    for (const [tool, args] of [
      ['publint', ['--strict']],
      ['attw', ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped']],
    ]) {
      try {
        execFileSync(bin(tool), args, { cwd: pkgDir, stdio: 'pipe' });
        console.log(`ok   ${tool} ${pkg.name}`);
      } catch (err) {
        failures++;
        console.log(
          `FAIL ${tool} ${pkg.name}\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`,
        );
      }
    }
  }
}
if (failures) {
  console.log(`${failures} package check(s) failed`);
  process.exit(1);
}
