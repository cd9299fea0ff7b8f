/**
 * `kith wallet create|restore|list|address`: keystores in `<dataDir>/wallets/`, no node needed.
 * The passphrase comes from KITH_WALLET_PASSPHRASE or a no-echo prompt; a restored mnemonic
 * from KITH_WALLET_MNEMONIC or a no-echo prompt.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { cryptoRng, systemClock } from '../../core/clock.ts'
import { DEFAULT_CONFIG } from '../../node/config.ts'
import {
  readPassphrase,
  resolvePassphrase,
  walletError,
  walletService,
  type WalletService,
} from '../../wallet/index.ts'
import { printJson, type CliIo } from '../output.ts'

export const DEFAULT_WALLET_NAME = 'default'
/** Environment variable a script sets to restore a wallet without a prompt. */
export const MNEMONIC_ENV_VAR = 'KITH_WALLET_MNEMONIC'

export interface WalletFlags {
  dataDir?: string
  json?: boolean
}

export function dataDirOf(flags: { dataDir?: string }, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.KITH_DATA_DIR != null && env.KITH_DATA_DIR !== '' ? env.KITH_DATA_DIR : undefined
  return resolve(flags.dataDir ?? fromEnv ?? DEFAULT_CONFIG.dataDir)
}

export function walletsOf(flags: { dataDir?: string }, env: NodeJS.ProcessEnv): WalletService {
  return walletService()({ dataDir: dataDirOf(flags, env), clock: systemClock, rng: cryptoRng })
}

export function registerWalletCommands(program: Command, io: CliIo): void {
  const wallet = program
    .command('wallet')
    .description('create, restore and list wallets (keys stay on this machine)')
  const sub = (name: string, description: string): Command =>
    wallet
      .command(name)
      .description(description)
      .option('--data-dir <dir>', 'data directory (default ./.kith or KITH_DATA_DIR)')
      .option('--json', 'print JSON')

  sub('create', 'create a wallet; prints its mnemonic once (write it down)')
    .argument('[name]', 'wallet name', DEFAULT_WALLET_NAME)
    .action(async (name: string, o: WalletFlags) => {
      const wallets = walletsOf(o, io.env)
      if (await wallets.has(name))
        throw walletError('WALLET_EXISTS', `a wallet named "${name}" already exists; choose another name`, {
          wallet: name,
        })
      const passphrase = await resolvePassphrase({ confirm: true, env: io.env })
      const w = await wallets.create(name, passphrase)
      if (o.json === true)
        printJson(io, { name: w.name, address: w.address, mnemonic: w.mnemonic, file: w.file })
      else
        io.stdout(
          `created wallet "${w.name}" (${w.file})\naddress  ${w.address}\nmnemonic ${w.mnemonic}\n` +
            'Write the mnemonic down: it is the only way to restore this wallet.\n',
        )
    })

  sub('restore', `restore a wallet from its mnemonic (${MNEMONIC_ENV_VAR} or a prompt)`)
    .alias('import')
    .argument('[name]', 'wallet name', DEFAULT_WALLET_NAME)
    .action(async (name: string, o: WalletFlags) => {
      const wallets = walletsOf(o, io.env)
      if (await wallets.has(name))
        throw walletError('WALLET_EXISTS', `a wallet named "${name}" already exists; choose another name`, {
          wallet: name,
        })
      const fromEnv = io.env[MNEMONIC_ENV_VAR]
      const mnemonic =
        fromEnv != null && fromEnv !== ''
          ? fromEnv
          : process.stdin.isTTY === true
            ? await readPassphrase('Mnemonic: ')
            : (() => {
                throw walletError(
                  'PASSPHRASE_UNAVAILABLE',
                  `no terminal to ask for the mnemonic: set ${MNEMONIC_ENV_VAR}`,
                )
              })()
      const passphrase = await resolvePassphrase({ confirm: true, env: io.env })
      const w = await wallets.restore(name, mnemonic, passphrase)
      if (o.json === true) printJson(io, w)
      else io.stdout(`restored wallet "${w.name}" (${w.file})\naddress  ${w.addresses[0] ?? '-'}\n`)
    })

  sub('list', 'list wallets and their addresses').action(async (o: WalletFlags) => {
    const list = await walletsOf(o, io.env).list()
    if (o.json === true) return printJson(io, list)
    if (list.length === 0) return io.stdout('no wallets (create one with "kith wallet create")\n')
    for (const w of list) io.stdout(`${w.name.padEnd(16)} ${w.error ?? w.addresses[0] ?? '-'}\n`)
  })

  sub('address', 'print a wallet address')
    .argument('[name]', 'wallet name', DEFAULT_WALLET_NAME)
    .option('--account <n>', 'account index', '0')
    .action(async (name: string, o: WalletFlags & { account: string }) => {
      const address = await walletsOf(o, io.env).address(name, Number(o.account))
      if (o.json === true) printJson(io, { name, account: Number(o.account), address })
      else io.stdout(address + '\n')
    })
}
