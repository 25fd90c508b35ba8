import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'jest.config.js', 'eslint.config.mjs', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { import: importPlugin },
    // Node's resolver with TypeScript extensions: relative imports are what cycles are made of
    // (packages cannot form cycles: project references forbid it).
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import/no-cycle': ['error', { maxDepth: 10 }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // The layering the architecture promises, checked: the object model and the reconcilers never
      // reach into the control API; archive/ (tar tools) knows nothing of images or the builder;
      // the Raft library stands alone.
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: [
                './packages/manager/src/types',
                './packages/manager/src/store',
                './packages/manager/src/orchestrator/!(*.test).ts',
                './packages/manager/src/scheduler',
                './packages/manager/src/dispatcher',
              ],
              from: './packages/manager/src/controlapi',
            },
            { target: './packages/engine-core/src/archive', from: './packages/engine-core/src/images' },
            { target: './packages/engine-core/src/archive', from: './packages/engine-core/src/builder' },
          ],
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@flotilla/*', '!@flotilla/raft'],
              message: 'the Raft library depends on no other flotilla package',
            },
          ],
        },
      ],
    },
  },
  {
    // Only the Raft library is barred from the other packages; everything else may use them.
    files: ['packages/!(raft)/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // One idea per file: a source file that outgrows 400 lines has a seam to split along. The Raft
    // core and its simulation are the exceptions, where one idea needs the room.
    files: ['packages/*/src/**/*.ts'],
    ignores: [
      '**/*.test.ts',
      '**/__fixtures__/**',
      'packages/raft/src/core/raft.ts',
      'packages/raft/src/sim/simulation.ts',
    ],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    // The CLI, benchmarks and tests talk to a terminal.
    files: [
      'packages/stack-cli/src/cli/**/*.ts',
      'bench/**/*.ts',
      'test/**/*.ts',
      '**/*.test.ts',
      'packages/raft/src/sim/cli.ts',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    // The benchmarks are plain CommonJS run by node: undefined names and unused ones are what to catch.
    files: ['bench/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: Object.fromEntries(
        [
          'require',
          'module',
          'exports',
          '__dirname',
          '__filename',
          'process',
          'console',
          'Buffer',
          'URL',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'setImmediate',
          'queueMicrotask',
        ].map((g) => [g, 'readonly']),
      ),
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
);
