// Lint: typescript-eslint's recommended rules, no import cycles, and boundaries used only
// through their index.ts (design notes: "a boundary is used only through its index.ts").
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const notTheStandin = {
  group: ['**/standin/**'],
  message: 'The gateway does not depend on the MLflow stand-in (standin/); it is a separate program.',
};

const throughIndex = (up) => ({
  patterns: [
    {
      group: [`${up}*/*`, `!${up}*/index.js`],
      message: 'Use another boundary only through its index.ts (add the export there if it is missing).',
    },
    notTheStandin,
  ],
});

// The stand-in shares only the gateway's dependency-free helpers (src/shared), and only through its index.
const onlyShared = {
  patterns: [
    {
      regex: '^(\\.\\./){2,}src/(?!shared/index\\.js$)',
      message: 'The stand-in may use the gateway only through src/shared/index.js.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist.next/**', 'dist.old/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })] },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  { files: ['src/*.ts'], rules: { 'no-restricted-imports': ['error', throughIndex('./')] } },
  {
    files: ['src/*/*.ts'],
    ignores: ['src/*/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', throughIndex('../')] },
  },
  {
    files: ['src/*/*/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', throughIndex('../../')] },
  },
  { files: ['standin/**/*.ts'], rules: { 'no-restricted-imports': ['error', onlyShared] } },
);
