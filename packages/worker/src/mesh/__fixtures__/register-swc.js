/* global require */
/* eslint-disable @typescript-eslint/no-require-imports */
// Lets a child `node` run the TypeScript sources directly (like jest does with @swc/jest).
const { addHook } = require('pirates');
const swc = require('@swc/core');
addHook(
  (code, filename) => swc.transformSync(code, { filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }).code,
  { exts: ['.ts'] },
);
