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

/**
 * Pure files outside src/chain and src/trade: peer scoring and selection, the network gate,
 * NAT reachability decisions, rate-limit buckets, content peer scores.
 */
const PURE_NET = [
  'src/net/peers/peer-score.ts',
  'src/net/peers/peer-planner.ts',
  'src/net/peers/network-gate.ts',
  'src/net/peers/judge.ts',
  'src/net/nat/reachability.ts',
  'src/net/rpc/rate-limit.ts',
  'src/net/content/scores.ts',
]
/** The domain files that persist, run as a service or use worker threads (everything else there is pure). */
const IMPURE_DOMAIN = [
  'src/chain/store/**',
  'src/chain/light/light-store.ts',
  'src/chain/worker/**',
  'src/chain/service/**',
  'src/trade/store/**',
  'src/trade/service/**',
]
/**
 * Files that still call timers or Date.now directly: being edited by other branches when the
 * clock rule landed (issue 16 item 5). Move each to its Clock and delete its line here.
 */
const CLOCK_PENDING = [
  'src/chain/service/chain-service.ts',
  'src/chain/service/miner.ts',
  'src/chain/service/sync-target.ts',
  'src/content/pins.ts',
  'src/content/repo.ts',
  'src/lab/devnet.ts',
  'src/net/content/content-net.ts',
  'src/net/peers/peer-manager.ts',
  'src/net/rpc/client.ts',
  'src/net/rpc/hello.ts',
  'src/net/rpc/server.ts',
  'src/node/content.ts',
  'src/node/trade.ts',
]
const viaClock = 'the clock owns time: use the injected Clock (src/core/clock.ts)'
const CLOCK_GLOBALS = ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'].map((name) => ({
  name,
  message: viaClock,
}))
const CLOCK_PROPERTIES = [
  { object: 'Date', property: 'now', message: viaClock },
  { object: 'performance', property: 'now', message: viaClock },
  { object: 'AbortSignal', property: 'timeout', message: `${viaClock} (clock.timeoutSignal)` },
]
const pureMessage = 'pure: time, randomness and I/O come in as arguments (docs/ARCHITECTURE.md)'
/** Node modules that do I/O: a pure file gets their results as arguments. */
const IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'dgram',
  'http',
  'https',
  'child_process',
  'worker_threads',
  'sqlite',
]
  .flatMap((m) => (m === 'sqlite' ? ['node:sqlite'] : [m, `node:${m}`]))
  .map((name) => ({ name, message: pureMessage }))
const pure = (/** @type {string[]} */ layers) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: IO_MODULES,
      patterns: [
        { group: up(layers), message: 'layer rule: see docs/ARCHITECTURE.md' },
        { group: libp2p, message: 'only src/net imports libp2p, and never its pure files' },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    ...CLOCK_GLOBALS,
    ...['setImmediate', 'clearImmediate', 'fetch', 'Date', 'performance'].map((name) => ({
      name,
      message: pureMessage,
    })),
  ],
  'no-restricted-properties': [
    'error',
    ...CLOCK_PROPERTIES,
    { object: 'Math', property: 'random', message: 'pure: take an Rng as an argument' },
  ],
})

const ERASABLE = [
  { selector: 'TSEnumDeclaration', message: 'erasable syntax only: use a string-literal union' },
  { selector: 'TSModuleDeclaration[kind!="global"]', message: 'erasable syntax only: no namespaces' },
  { selector: 'TSParameterProperty', message: 'erasable syntax only: no parameter properties' },
]

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
      'no-restricted-syntax': ['error', ...ERASABLE],
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
  {
    // The CLI reaches the lab through its one declared entry (src/lab/index.ts), for `kith devnet`.
    files: ['src/cli/**'],
    rules: {
      ...restrict([], [...libp2p, '**/lab/**', '!**/lab/index.ts']),
      'no-restricted-syntax': [
        'error',
        ...ERASABLE,
        {
          selector: 'ImportExpression[source.value=/\\/lab\\//]:not([source.value=/\\/lab\\/index\\.ts$/])',
          message: 'the CLI imports src/lab only through src/lab/index.ts',
        },
      ],
    },
  },
  {
    // The clock owns time (src/core/clock.ts): timers, timeout signals and wall-clock reads go
    // through an injected Clock, so a ManualClock decides when each fires and the lab replays.
    files: ['src/**/*.ts'],
    ignores: ['src/core/clock.ts', ...CLOCK_PENDING],
    rules: {
      'no-restricted-globals': ['error', ...CLOCK_GLOBALS],
      'no-restricted-properties': ['error', ...CLOCK_PROPERTIES],
    },
  },
  // Pure logic: time, randomness and I/O come in as arguments. These blocks repeat the layer
  // patterns of their folder because a later no-restricted-imports replaces an earlier one.
  {
    files: ['src/chain/**', 'src/trade/**'],
    ignores: IMPURE_DOMAIN,
    rules: pure(['store', 'content', 'net', 'node', 'api', 'cli', 'lab']),
  },
  { files: PURE_NET, rules: pure(['node', 'api', 'cli', 'lab']) },
  {
    // The lab's NAT scenario nodes speak a lab protocol over libp2p streams, and the attack lab's
    // attacker is a plain libp2p node (no Kith code); lab only, never production.
    files: ['src/lab/**'],
    ignores: [
      'src/lab/nat-scenarios/bulk.ts',
      'src/lab/nat-scenarios/node.ts',
      'src/lab/nat-scenarios/protocol.ts',
      'src/lab/attack/attacker.ts',
      'src/lab/attack/scenario.ts',
    ],
    rules: restrict([], libp2p, 'only src/net imports libp2p (docs/ARCHITECTURE.md)'),
  },
  {
    // bench/lib/vanilla*.ts are the plain libp2p/Helia baselines Kith is measured against.
    files: ['web/**', 'scripts/**', 'bench/**'],
    ignores: ['bench/lib/vanilla.ts', 'bench/lib/vanilla-bitswap.ts'],
    rules: restrict([], libp2p, 'only src/net imports libp2p (docs/ARCHITECTURE.md)'),
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
