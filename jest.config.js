// Tests run from TypeScript sources through SWC (no type check here: `npm run typecheck` does that).
// Cross-package imports resolve to each package's src/ so tests never need a build first.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] };
const moduleNameMapper = { '^@flotilla/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts' };
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.test.ts'] },
  ],
};
