#!/usr/bin/env node
// Copies the app's runtime dependencies (ioredis and what it needs) from the repository's
// node_modules, which `npm ci` at the root already filled, into app/node_modules (ioredis is a
// devDependency of the root package: the app and its test in test/getstartedlab use it, no package does).
// Why: `flotilla build` runs without network, and the lab must not need the npm registry twice;
// the versions are the ones the root package-lock.json pins. Dev dependencies are never followed.
// Usage: node vendor-deps.mjs <app dir> <root node_modules dir>
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const [appDirArg, rootModulesArg] = process.argv.slice(2);
if (!appDirArg || !rootModulesArg) {
  console.error('usage: vendor-deps.mjs <app dir> <root node_modules dir>');
  process.exit(2);
}
const appDir = resolve(appDirArg);
const rootModules = resolve(rootModulesArg);
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const runtimeDeps = (pkg) => Object.keys({ ...(pkg.dependencies ?? {}), ...(pkg.optionalDependencies ?? {}) });

// Node's lookup: <from>/node_modules/<name>, then each parent's node_modules up to the repo root.
const repoRoot = dirname(rootModules);
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === repoRoot || !dir.startsWith(repoRoot)) return undefined;
  }
}

const appPkg = readJson(join(appDir, 'package.json'));
const found = new Map();
const queue = runtimeDeps(appPkg).map((name) => ({ name, from: repoRoot, parent: appPkg.name }));
while (queue.length > 0) {
  const { name, from, parent } = queue.shift();
  const dir = locate(name, from);
  if (!dir) {
    console.error(
      `vendor-deps: ${name} (needed by ${parent}) is not in ${rootModules}: run \`npm ci\` at the repository root first`,
    );
    process.exit(1);
  }
  if (found.has(dir)) continue;
  const pkg = readJson(join(dir, 'package.json'));
  found.set(dir, pkg);
  for (const dep of runtimeDeps(pkg)) queue.push({ name: dep, from: dir, parent: name });
}

for (const [name, wanted] of Object.entries(appPkg.dependencies ?? {})) {
  const have = found.get(join(rootModules, name))?.version;
  if (have !== undefined && have !== wanted) {
    console.error(
      `vendor-deps: warning: ${name} ${have} in the root node_modules, app/package.json asks for ${wanted}`,
    );
  }
}

const target = join(appDir, 'node_modules');
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const dir of found.keys()) {
  // Same relative place as in the root tree, so nested copies keep resolving the same way.
  cpSync(dir, join(target, relative(rootModules, dir)), { recursive: true, dereference: true });
}
console.log(
  `vendored ${found.size} packages into ${relative(process.cwd(), target) || target}: ${[...found.values()].map((p) => `${p.name}@${p.version}`).join(' ')}`,
);
