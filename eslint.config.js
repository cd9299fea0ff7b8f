// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * Layer rules (docs/ARCHITECTURE.md): imports only go downward.
 *   core  <  store, wallet, chain, content, trade  <  net  <  node  <  api, cli, web  <  lab
 * Only src/net imports libp2p. Nothing in production imports src/lab.
 */
const up = (/** @type {string[]} */ layers) => layers.map((l) => `**/${l}/**`)
const libp2p = ['libp2p', 'libp2p/*', '@libp2p/*', '@chainsafe/*']
const restrict = (
  /** @type {string[]} */ layers,
  /** @type {string[]} */ extra = [],
  message = 'layer rule: see docs/ARCHITECTURE.md',
) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: [...up(layers), ...extra], message }] }],
})

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'stubs/**',
      '.kith/**',
      'web/vendor/**',
      'web/dist/**',
      'test-output/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'erasable syntax only: use a string-literal union' },
        { selector: 'TSModuleDeclaration[kind!="global"]', message: 'erasable syntax only: no namespaces' },
        { selector: 'TSParameterProperty', message: 'erasable syntax only: no parameter properties' },
      ],
    },
  },
  {
    files: ['src/core/**'],
    rules: restrict(
      ['store', 'wallet', 'chain', 'content', 'trade', 'net', 'node', 'api', 'cli', 'lab'],
      libp2p,
    ),
  },
  {
    files: ['src/store/**'],
    rules: restrict(['wallet', 'chain', 'content', 'trade', 'net', 'node', 'api', 'cli', 'lab'], libp2p),
  },
  {
    files: ['src/chain/**', 'src/wallet/**', 'src/trade/**'],
    rules: restrict(['store', 'content', 'net', 'node', 'api', 'cli', 'lab'], libp2p),
  },
  {
    // The chain's store and service sit on the node's database (src/store), below src/node.
    files: ['src/chain/store/**', 'src/chain/service/**', 'src/trade/store/**', 'src/trade/service/**'],
    rules: restrict(['content', 'net', 'node', 'api', 'cli', 'lab'], libp2p),
  },
  {
    files: ['src/content/**'],
    rules: restrict(['chain', 'wallet', 'trade', 'net', 'node', 'api', 'cli', 'lab'], libp2p),
  },
  { files: ['src/net/**'], rules: restrict(['node', 'api', 'cli', 'lab']) },
  { files: ['src/node/**'], rules: restrict(['api', 'cli', 'lab'], libp2p) },
  { files: ['src/api/**'], rules: restrict(['cli', 'lab'], libp2p) },
  { files: ['src/cli/**'], rules: restrict([], libp2p) },
  {
    // Pure domain logic: time, randomness and I/O come in as arguments.
    files: ['src/chain/**', 'src/trade/**'],
    ignores: [
      'src/chain/store/**',
      'src/chain/worker/**',
      'src/chain/service/**',
      'src/trade/store/**',
      'src/trade/service/**',
    ],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'fetch'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'pure: take nowMs as an argument' },
        { object: 'Math', property: 'random', message: 'pure: take an Rng as an argument' },
      ],
    },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  { files: ['eslint.config.js', 'bin/**'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['bin/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
)
