// Type-aware lint for the whole monorepo. Run with --max-warnings 0.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const libs = ['service-core', 'security', 'tenants', 'licensing', 'logto-client', 'forward-auth', 'agents'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@app/*/*'], message: 'Import a lib only through its entry, @app/<lib>.' },
            { group: ['**/apps/**', 'apps/**'], message: 'Nothing imports from apps/.' },
            { group: ['**/libs/**', 'libs/**'], message: 'Import a lib as @app/<lib>, never by path.' },
          ],
        },
      ],
    },
  },
  // A lib never reaches into another lib's files by a relative path.
  ...libs.map((lib) => ({
    files: [`libs/${lib}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@app/*/*'], message: 'Import a lib only through its entry, @app/<lib>.' },
            { group: ['**/apps/**', 'apps/**'], message: 'Libs never import apps/.' },
            { group: [`../../../*`, '**/libs/**'], message: 'A lib does not reach into another lib by path.' },
            { group: [`@app/${lib}`], message: 'A lib imports its own files relatively, not through its own entry.' },
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      'no-restricted-imports': 'off',
    },
  },
);
