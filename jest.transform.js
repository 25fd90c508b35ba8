// Jest transformer: TypeScript -> CommonJS with the repository's own `typescript` (transpile only;
// `npm run typecheck` checks types). No native platform packages, so `npm ci` works anywhere.
const crypto = require('node:crypto');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  inlineSourceMap: true,
  inlineSources: true,
};

function transpile(src, filename) {
  return ts.transpileModule(src, { compilerOptions, fileName: filename }).outputText;
}

module.exports = {
  transpile,
  process(src, filename) {
    return { code: transpile(src, filename) };
  },
  getCacheKey(src, filename) {
    return crypto
      .createHash('sha256')
      .update(ts.version)
      .update('\0')
      .update(filename)
      .update('\0')
      .update(src)
      .digest('hex');
  },
};
