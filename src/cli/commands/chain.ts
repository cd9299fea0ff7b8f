/**
 * Ledger commands against a running node: `kith chain`, `kith balance [address]`,
 * `kith send <to> <amount>`, `kith tx <id>`, `kith block <id|height>`. `send` signs locally with
 * the wallet's keystore (KITH_WALLET_PASSPHRASE or a prompt), takes the nonce from the node,
 * submits, and waits for inclusion.
 */
import type { Command } from 'commander'
import type { z } from 'zod'
import type { blockJsonSchema } from '../../api/chain-json.ts'
import { formatAmount, parseAmount } from '../../chain/amount.ts'
import { encodeTx } from '../../chain/codec.ts'
import { MAX_MEMO_BYTES } from '../../chain/constants.ts'
import { parseAddress } from '../../chain/address.ts'
import { ChainError } from '../../chain/errors.ts'
import { systemClock } from '../../core/clock.ts'
import { InvalidInputError, KithError } from '../../core/errors.ts'
import { resolvePassphrase } from '../../wallet/index.ts'
import { printJson, type CliIo } from '../output.ts'
import { connectToNode, type RemoteOptions } from '../remote.ts'
import type { TxJson } from '../../api/chain-json.ts'
import { StepBar } from '../progress.ts'
import { DEFAULT_WALLET_NAME, walletsOf } from './wallet.ts'

/** How long `send` waits for its transaction to be included by default (a few block intervals). */
export const SEND_WAIT_MS = 120_000
/** Poll interval while waiting for inclusion: a block interval is seconds. */
export const SEND_POLL_MS = 500
/** `--confirmations` at most this deep: beyond the reorg limit a block is as final as it gets. */
export const MAX_SEND_CONFIRMATIONS = 1_000

interface SendFlags extends RemoteOptions {
  fee?: string
  memo?: string
  wallet: string
  account: string
  wait: boolean
  waitMs: string
  confirmations: string
}

export function registerChainCommands(program: Command, io: CliIo): void {
  const remote = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .option('--api <url>', 'API URL of the node (default: from the data dir api.json)')
      .option('--data-dir <dir>', 'data directory of the node (default ./.kith or KITH_DATA_DIR)')
      .option('--json', 'print JSON')

  remote('chain', 'show the ledger: network, head, height, work, mempool').action(
    async (o: RemoteOptions) => {
      const info = await (await connectToNode(o, io.env)).chain()
      if (o.json === true) return printJson(io, info)
      io.stdout(
        [
          `network  ${info.networkId} (${info.engine})`,
          `head     ${info.head.id}`,
          `height   ${info.head.height}`,
          `work     ${info.head.totalWork}`,
          `time     ${new Date(info.head.timestampMs).toISOString()}`,
          `mempool  ${info.mempool.size} tx (${info.mempool.bytes} bytes)`,
          `mining   ${info.mining ? 'yes' : 'no'}`,
        ].join('\n') + '\n',
      )
    },
  )

  remote('balance', 'balance and nonce of an address (default: the wallet address); a light node proves it')
    .argument('[address]', 'a kith1… address')
    .option('--wallet <name>', 'wallet whose address to show', DEFAULT_WALLET_NAME)
    .action(async (address: string | undefined, o: RemoteOptions & { wallet: string }) => {
      const addr = address ?? (await walletsOf(o, io.env).address(o.wallet))
      const acc = await (await connectToNode(o, io.env)).account(addr)
      if (o.json === true) return printJson(io, acc)
      io.stdout(
        `${acc.address}\nbalance  ${formatAmount(BigInt(acc.balance))} KITH\nnonce    ${acc.nonce}${acc.pending > 0 ? ` (${acc.pending} pending)` : ''}\n` +
          provenLine(acc.proven),
      )
    })

  remote('send', 'send KITH from a wallet; waits until the transfer is in a block')
    .argument('<to>', 'recipient kith1… address')
    .argument('<amount>', 'amount in KITH, e.g. 1.5')
    .option('--fee <kith>', 'fee in KITH (default: the network minimum)')
    .option('--memo <text>', 'memo (at most 256 bytes)')
    .option('--wallet <name>', 'wallet to send from', DEFAULT_WALLET_NAME)
    .option('--account <n>', 'account index in the wallet', '0')
    .option('--no-wait', 'return once the node accepted the transfer')
    .option('--wait-ms <ms>', 'how long to wait for inclusion', String(SEND_WAIT_MS))
    .option('--confirmations <n>', 'wait until the block is this deep (1: included)', '1')
    .action(async (to: string, amountText: string, o: SendFlags) => sendCommand(io, to, amountText, o))

  remote('tx', 'show a transaction and whether it is confirmed')
    .argument('<id>', 'transaction id')
    .action(async (id: string, o: RemoteOptions) => {
      const t = await (await connectToNode(o, io.env)).tx(id)
      if (o.json === true) return printJson(io, t)
      const where =
        t.status === 'confirmed' ? `block ${t.height} (${t.confirmations} confirmations)` : 'in the mempool'
      io.stdout(`${t.id}\n${t.status}  ${where}\n${describeTx(t.tx)}\n${provenLine(t.proven)}`)
    })

  remote('block', 'show a block by id or height')
    .argument('<idOrHeight>', 'block id or main-chain height')
    .action(async (idOrHeight: string, o: RemoteOptions) => {
      const b = await (await connectToNode(o, io.env)).block(idOrHeight)
      if (o.json === true) return printJson(io, b)
      io.stdout(formatBlock(b))
    })
}

/** `kith block`: header fields, then the transactions (or why they are not known). */
export function formatBlock(b: z.infer<typeof blockJsonSchema>): string {
  // A light node keeps headers only: an empty list would claim the block holds no transactions.
  const txs =
    b.headerOnly === true
      ? `not stored (light node: headers only; txRoot ${b.header.txRoot})\n`
      : `${b.transactions.length}\n` +
        b.transactions.map((t) => `  ${t.id} ${t.tx.kind} ${txAmount(t.tx)}\n`).join('')
  return (
    `${b.id}\nheight   ${b.header.height}${b.main ? '' : ' (side chain)'}\ntime     ${new Date(b.header.timestampMs).toISOString()}\n` +
    `parent   ${b.header.parent ?? '-'}\nminer    ${b.header.miner}\ntxs      ${txs}`
  )
}

/** One line saying what a transaction does. */
function describeTx(tx: TxJson): string {
  switch (tx.kind) {
    case 'transfer':
      return `${formatAmount(BigInt(tx.amount))} KITH ${tx.from ?? ''} -> ${tx.recipient}, fee ${formatAmount(BigInt(tx.fee))}, nonce ${tx.nonce}`
    case 'coinbase':
      return `coinbase ${formatAmount(BigInt(tx.amount))} KITH -> ${tx.recipient}`
    case 'escrow-open':
      return `escrow-open ${formatAmount(BigInt(tx.amount))} KITH ${tx.from} -> ${tx.buyer}, deposits ${formatAmount(BigInt(tx.sellerDeposit))}/${formatAmount(BigInt(tx.buyerDeposit))}, fee ${formatAmount(BigInt(tx.fee))}`
    case 'escrow-resolve':
      return `escrow-resolve ${tx.escrow} by ${tx.from}: buyer gets ${tx.buyerShareBps / 100}%`
    default:
      return `${tx.kind} ${tx.escrow} by ${tx.from}, fee ${formatAmount(BigInt(tx.fee))}`
  }
}

function txAmount(tx: TxJson): string {
  return 'amount' in tx ? formatAmount(BigInt(tx.amount)) : ''
}

/** A light node's answers say where their proof came from. */
function provenLine(p: { blockId: string; height: number; peer: string } | undefined): string {
  if (p === undefined) return ''
  return `proven   against block ${p.height} (${p.blockId}) with a proof from ${p.peer}\n`
}

/** Parses --confirmations: a whole number from 1 to MAX_SEND_CONFIRMATIONS. */
function parseConfirmations(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_SEND_CONFIRMATIONS)
    throw new InvalidInputError(
      'INVALID_CONFIRMATIONS',
      `invalid option "--confirmations": got "${text}"; a whole number from 1 to ${MAX_SEND_CONFIRMATIONS}`,
      { value: text },
    )
  return n
}

async function sendCommand(io: CliIo, to: string, amountText: string, o: SendFlags): Promise<void> {
  try {
    parseAddress(to)
  } catch (err) {
    // A mistyped recipient is bad usage (exit 2), with the address rule's own code.
    if (err instanceof ChainError)
      throw new InvalidInputError(err.code, err.message, err.meta, { cause: err })
    throw err
  }
  const confirmations = parseConfirmations(o.confirmations)
  const amount = parseAmount(amountText)
  const memo = o.memo === undefined ? undefined : new TextEncoder().encode(o.memo)
  // [REJECT] memo <= MAX_MEMO_BYTES: checked before signing, so the user sees the rule, not a decode error.
  if (memo !== undefined && memo.length > MAX_MEMO_BYTES)
    throw new InvalidInputError(
      'TX_MEMO_TOO_LARGE',
      `the memo is ${memo.length} bytes; at most ${MAX_MEMO_BYTES} are allowed`,
      {
        bytes: memo.length,
      },
    )
  const client = await connectToNode(o, io.env)
  const info = await client.chain()
  const fee = o.fee === undefined ? BigInt(info.minFee) : parseAmount(o.fee)
  const wallets = walletsOf(o, io.env)
  const account = Number(o.account)
  const from = await wallets.address(o.wallet, account)
  const { nextNonce } = await client.account(from)
  const wallet = await wallets.unlock(o.wallet, await resolvePassphrase({ env: io.env }))
  let tx
  try {
    tx = wallet.signTransfer(account, {
      network: info.networkId,
      nonce: nextNonce,
      recipient: to,
      amount,
      fee,
      ...(memo === undefined ? {} : { memo }),
    })
  } finally {
    wallet.lock()
  }
  const submitted = await client.submitTx({ hex: Buffer.from(encodeTx(tx)).toString('hex') })
  if (!o.wait) {
    if (o.json === true) return printJson(io, submitted)
    return io.stdout(`submitted ${submitted.id}\n`)
  }
  const clock = io.clock ?? systemClock
  const deadline = clock.nowMs() + Number(o.waitMs)
  const bar = new StepBar(io, o.json === true, 'send |{bar}| {value}/{total} confirmations | {where}')
  try {
    for (;;) {
      const t = await client.tx(submitted.id)
      const have = t.status === 'confirmed' ? t.confirmations : 0
      bar.update(have, confirmations, { where: t.status === 'confirmed' ? `block ${t.height}` : 'pending' })
      if (t.status === 'confirmed' && t.confirmations >= confirmations) {
        bar.stop()
        if (o.json === true) return printJson(io, t)
        const depth = confirmations > 1 ? ` (${t.confirmations} confirmations)` : ''
        return io.stdout(
          `sent ${formatAmount(amount)} KITH to ${to}: ${t.id} in block ${t.height}${depth}\n${provenLine(t.proven)}`,
        )
      }
      if (clock.nowMs() > deadline)
        throw new KithError(
          'TX_NOT_CONFIRMED',
          t.status === 'confirmed'
            ? `transaction ${submitted.id} is in block ${t.height} with ${t.confirmations} of ${confirmations} confirmations after ${o.waitMs} ms`
            : `transaction ${submitted.id} is accepted but not in a block after ${o.waitMs} ms (still pending)`,
          { id: submitted.id },
        )
      await clock.sleep(SEND_POLL_MS)
    }
  } finally {
    bar.stop()
  }
}
