// The cluster benches drive test/cluster/cluster.ts, which is TypeScript: transpile it on load
// (no type check; the tests do that), then put require's .ts hook back as it was.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');

function requireTs(file) {
  const ts = require(join(ROOT, 'node_modules/typescript'));
  const prev = require.extensions['.ts'];
  require.extensions['.ts'] = (module, filename) => {
    const out = ts.transpileModule(readFileSync(filename, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: filename,
    });
    module._compile(out.outputText, filename);
  };
  try {
    return require(file);
  } finally {
    if (prev) require.extensions['.ts'] = prev;
    else delete require.extensions['.ts'];
  }
}

module.exports = { requireTs };
