// Tests run from TypeScript sources, transpiled by jest.transform.js (no type check here: `npm run typecheck` does that).
// Cross-package imports resolve to each package's src/ so tests never need a build first.
const transform = { '^.+\\.ts$': '<rootDir>/jest.transform.js' };
const moduleNameMapper = { '^@flotilla/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts' };
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.test.ts'] },
  ],
};
