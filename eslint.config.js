// ESLint flat config: typescript-eslint's recommended rules over the whole tree, React's two hook rules
// over the TUI, and the rules that keep code out of strings (the worker layer replaced the last of it).
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'media/**', 'test/fixtures/**', '.bench/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {ecmaVersion: 2022, sourceType: 'module', globals: {...globals.node}},
    plugins: {'react-hooks': reactHooks},
    rules: {
      'no-new-func': 'error',
      'no-implied-eval': 'error',
      'no-eval': 'error',
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      // Terminal output is matched and cleaned with escape and control characters on purpose.
      'no-control-regex': 'off',
      // `for (let [i, line] ...)` reassigns one of the pair: const for the other would split the binding.
      'prefer-const': ['error', {destructuring: 'all'}],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true},
      ],
    },
  },
  {
    // Tests poke at hostile and malformed values on purpose; `any` says so where a type would lie.
    files: ['test/**'],
    rules: {'@typescript-eslint/no-explicit-any': 'off'},
  },
);
