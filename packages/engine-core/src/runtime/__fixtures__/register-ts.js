/* global require */
/* eslint-disable @typescript-eslint/no-require-imports */
// Lets a child `node` run the TypeScript sources directly (like jest does with the repository's transformer).
const { addHook } = require('pirates');
const { transpile } = require('../../../../../jest.transform.js');
addHook((code, filename) => transpile(code, filename), { exts: ['.ts'] });
