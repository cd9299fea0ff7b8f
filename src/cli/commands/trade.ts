/**
 * Trading commands against a running node that trades (`kith start --trade-wallet NAME`):
 * `kith offer create|list|cancel`, `kith trade take|status|paid|release|refund|dispute|resolve|
 * list|account`, `kith chat <trade> [message] [--follow]`. The node signs with its trade
 * account; amounts are KITH (e.g. 1.5), printed JSON amounts are base-unit strings.
 */
import type { Command } from 'commander'
import { formatAmount, parseAmount } from '../../chain/amount.ts'
import { InvalidInputError } from '../../core/errors.ts'
import type { ApiClient } from '../../api/client.ts'
import type { ResponseOf } from '../../api/routes.ts'
import { printJson, type CliIo } from '../output.ts'
import { connectToNode, type RemoteOptions } from '../remote.ts'

type OfferJson = ResponseOf<'getOffer'>
type TradeJson = ResponseOf<'getTrade'>
type ChatJson = ResponseOf<'postTradeChat'>

interface OfferFlags extends RemoteOptions {
  side: string
  amount: string
  price: string
  currency: string
  method: string[]
  arbiter?: string[]
  paymentWindow?: string
  releaseWindow?: string
  disputeWindow?: string
  sellerDeposit?: string
  buyerDeposit?: string
  minReputation?: string
  lifetime?: string
}

interface TakeFlags extends RemoteOptions {
  amount: string
  method?: string
  arbiter?: string
}

function usage(code: string, message: string): never {
  throw new InvalidInputError(code, message)
}

/** A whole number flag in [min, max]; bad usage (exit 2) otherwise. */
function wholeNumber(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max)
    usage('INVALID_OPTION', `invalid option "--${name}": got "${text}"; a whole number from ${min} to ${max}`)
  return n
}

/** `--amount 5` or a range `--amount 1-10` (KITH). */
function parseRange(text: string): { min: bigint; max: bigint } {
  const [a, b] = text.split('-')
  const min = parseAmount(a ?? '')
  const max = b === undefined ? min : parseAmount(b)
  return { min, max }
}

/** `--arbiter <hex key>@<peer id>`. */
function parseArbiter(text: string): { key: string; peerId: string } {
  const m = /^([0-9a-f]{64})@([1-9A-HJ-NP-Za-km-z]+)$/.exec(text)
  if (m === null)
    usage('INVALID_ARBITER', `invalid option "--arbiter": got "${text}"; expected <64 hex key>@<peer id>`)
  return { key: m[1]!, peerId: m[2]! }
}

export function registerTradeCommands(program: Command, io: CliIo): void {
  const remote = (parent: Command, name: string, description: string): Command =>
    parent
      .command(name)
      .description(description)
      .option('--api <url>', 'API URL of the node (default: from the data dir api.json)')
      .option('--data-dir <dir>', 'data directory of the node (default ./.kith or KITH_DATA_DIR)')
      .option('--json', 'print JSON')
  const client = async (o: RemoteOptions): Promise<ApiClient> => await connectToNode(o, io.env)

  const offer = program.command('offer').description('make, list and cancel trade offers')
  remote(offer, 'create', 'publish a signed offer to sell or buy KITH for fiat')
    .requiredOption('--side <sell|buy>', 'sell: you sell KITH; buy: you buy KITH')
    .requiredOption('--amount <kith>', 'amount in KITH, or a range MIN-MAX (e.g. 1-10)')
    .requiredOption('--price <minor>', 'minor fiat units per KITH (e.g. 5000 = 50.00 EUR)')
    .requiredOption('--currency <code>', 'ISO 4217 code, e.g. EUR')
    .requiredOption('--method <name...>', 'payment methods, e.g. sepa revolut')
    .option('--arbiter <key@peer...>', 'arbiters you accept: <hex public key>@<peer id> (kith trade account)')
    .option('--payment-window <blocks>', 'blocks the buyer has to pay after accepting')
    .option('--release-window <blocks>', 'blocks the seller has to release after paid (no arbiter)')
    .option('--dispute-window <blocks>', 'blocks the arbiter has to resolve a dispute')
    .option('--seller-deposit <bps>', 'seller deposit, basis points of the amount')
    .option('--buyer-deposit <bps>', 'buyer deposit, basis points of the amount')
    .option('--min-reputation <n>', 'takers need at least this reputation score')
    .option('--lifetime <ms>', 'how long the offer lives')
    .action(async (o: OfferFlags) => {
      if (o.side !== 'sell' && o.side !== 'buy')
        usage('INVALID_SIDE', `invalid option "--side": got "${o.side}"; expected sell or buy`)
      const { min, max } = parseRange(o.amount)
      if (!/^\d{1,20}$/.test(o.price))
        usage('INVALID_PRICE', `invalid option "--price": got "${o.price}"; minor units, a whole number`)
      const windows = {
        paymentWindowBlocks: wholeNumber('payment-window', o.paymentWindow, 1, 1_000_000),
        releaseWindowBlocks: wholeNumber('release-window', o.releaseWindow, 1, 1_000_000),
        disputeWindowBlocks: wholeNumber('dispute-window', o.disputeWindow, 1, 1_000_000),
        sellerDepositBps: wholeNumber('seller-deposit', o.sellerDeposit, 0, 10_000),
        buyerDepositBps: wholeNumber('buyer-deposit', o.buyerDeposit, 0, 10_000),
        minReputation: wholeNumber('min-reputation', o.minReputation, 0, 1_000_000_000),
        lifetimeMs: wholeNumber('lifetime', o.lifetime, 1, 30 * 24 * 3600_000),
      }
      const created = await (
        await client(o)
      ).createOffer({
        side: o.side,
        minAmount: min.toString(),
        maxAmount: max.toString(),
        price: o.price,
        currency: o.currency,
        paymentMethods: o.method,
        ...Object.fromEntries(Object.entries(windows).filter(([, v]) => v !== undefined)),
        ...(o.arbiter === undefined ? {} : { arbiters: o.arbiter.map(parseArbiter) }),
      })
      if (o.json === true) return printJson(io, created)
      io.stdout(`offer ${created.id}\n${formatOffer(created)}`)
    })
  remote(offer, 'list', 'offers in the order book, best price first')
    .option('--side <sell|buy>', 'only this side')
    .option('--currency <code>', 'only this currency')
    .action(async (o: RemoteOptions & { side?: string; currency?: string }) => {
      const offers = (await (await client(o)).offers()).filter(
        (x) =>
          (o.side === undefined || x.side === o.side) &&
          (o.currency === undefined || x.currency === o.currency),
      )
      if (o.json === true) return printJson(io, offers)
      if (offers.length === 0) return io.stdout('no offers\n')
      io.stdout(offers.map((x) => `${x.id}\n${formatOffer(x)}`).join('') + `${offers.length} offer(s)\n`)
    })
  remote(offer, 'cancel', 'withdraw one of your offers')
    .argument('<id>', 'offer id')
    .action(async (id: string, o: RemoteOptions) => {
      await (await client(o)).cancelOffer(id)
      if (o.json === true) return printJson(io, { id, cancelled: true })
      io.stdout(`cancelled ${id}\n`)
    })

  const trade = program.command('trade').description('take offers and follow trades through the escrow')
  remote(trade, 'take', "take an offer: the maker's node answers, then the seller opens the escrow")
    .argument('<offer>', 'offer id')
    .requiredOption('--amount <kith>', 'amount in KITH within the offer range')
    .option('--method <name>', "payment method (default: the offer's first)")
    .option('--arbiter <key>', "arbiter's hex public key (default: the offer's first)")
    .action(async (offerId: string, o: TakeFlags) => {
      const t = await (
        await client(o)
      ).takeOffer(offerId, {
        amount: parseAmount(o.amount).toString(),
        ...(o.method === undefined ? {} : { paymentMethod: o.method }),
        ...(o.arbiter === undefined ? {} : { arbiter: o.arbiter }),
      })
      printTrade(io, o, t)
    })
  remote(trade, 'list', 'trades of this node, newest first').action(async (o: RemoteOptions) => {
    const trades = await (await client(o)).trades()
    if (o.json === true) return printJson(io, trades)
    if (trades.length === 0) return io.stdout('no trades\n')
    io.stdout(
      trades
        .map(
          (t) => `${t.id}  ${t.state.padEnd(15)} ${t.role.padEnd(6)} ${formatAmount(BigInt(t.amount))} KITH`,
        )
        .join('\n') + '\n',
    )
  })
  remote(trade, 'status', 'one trade: state, escrow, parties')
    .argument('<trade>', 'trade id or escrow id')
    .action(async (id: string, o: RemoteOptions) => printTrade(io, o, await (await client(o)).trade(id)))
  remote(trade, 'account', "this node's trade account: address, public key, peer id, reputation").action(
    async (o: RemoteOptions) => {
      const a = await (await client(o)).tradeAccount()
      if (o.json === true) return printJson(io, a)
      io.stdout(
        `address     ${a.address}\npublic key  ${a.publicKey}\npeer id     ${a.peerId}\narbiter     ${a.publicKey}@${a.peerId}\n` +
          `reputation  ${a.reputation.score} (${a.reputation.completed} completed, ${a.reputation.disputesLost} disputes lost)\n`,
      )
    },
  )
  const steps = [
    ['paid', 'buyer: mark the fiat payment as sent'],
    ['release', 'seller: the fiat arrived; release the coins to the buyer'],
    [
      'refund',
      'seller: cancel an unaccepted escrow or take back after the payment window; either: a timeout',
    ],
    ['dispute', 'either party after paid: ask the arbiter'],
  ] as const
  for (const [name, description] of steps)
    remote(trade, name, description)
      .argument('<trade>', 'trade id or escrow id')
      .action(async (id: string, o: RemoteOptions) =>
        printTrade(io, o, await (await client(o)).tradeStep(id, name)),
      )
  remote(trade, 'resolve', 'arbiter: split the locked total')
    .argument('<trade>', 'trade id or escrow id')
    .requiredOption('--buyer-share <bps>', "buyer's share of the locked total, basis points 0-10000")
    .action(async (id: string, o: RemoteOptions & { buyerShare: string }) => {
      const bps = wholeNumber('buyer-share', o.buyerShare, 0, 10_000)!
      printTrade(io, o, await (await client(o)).tradeStep(id, 'resolve', { buyerShareBps: bps }))
    })

  remote(program, 'chat', "a trade's encrypted chat: without a message, print the conversation")
    .argument('<trade>', 'trade id or escrow id')
    .argument('[message]', 'send this message')
    .option('--follow', 'keep printing new messages')
    .action(async (id: string, message: string | undefined, o: RemoteOptions & { follow?: boolean }) => {
      const c = await client(o)
      if (message !== undefined) {
        const sent = await c.sendChat(id, message)
        if (o.json === true) printJson(io, sent)
        else io.stdout(formatChat(sent))
        if (o.follow !== true) return
      } else {
        const messages = await c.chat(id)
        if (o.json === true && o.follow !== true) return printJson(io, messages)
        for (const m of messages) io.stdout(o.json === true ? JSON.stringify(m) + '\n' : formatChat(m))
        if (o.follow !== true) return
      }
      await followChat(io, c, id, o.json === true)
    })
}

/** Prints each new message of the trade until interrupted (SIGINT ends the process). */
async function followChat(io: CliIo, c: ApiClient, id: string, json: boolean): Promise<void> {
  const seen = new Set((await c.chat(id)).map((m) => m.id))
  const trade = await c.trade(id)
  for await (const e of c.events()) {
    if (e.type !== 'trade:message' || e.id !== trade.id) continue
    for (const m of await c.chat(id)) {
      if (seen.has(m.id)) continue
      seen.add(m.id)
      io.stdout(json ? JSON.stringify(m) + '\n' : formatChat(m))
    }
  }
}

function printTrade(io: CliIo, o: RemoteOptions, t: TradeJson): void {
  if (o.json === true) return printJson(io, t)
  const e = t.escrow
  io.stdout(
    [
      `trade    ${t.id}`,
      `state    ${t.state}${t.error === null ? '' : ` (${t.error.code}: ${t.error.message})`}`,
      `role     ${t.role}${t.maker === null ? '' : t.maker ? ' (maker)' : ' (taker)'}`,
      `amount   ${formatAmount(BigInt(t.amount))} KITH at ${t.price} ${t.currency} minor units/KITH via ${t.paymentMethod ?? '-'}`,
      `seller   ${t.seller}`,
      `buyer    ${t.buyer}`,
      `arbiter  ${t.arbiter ?? '-'}`,
      `escrow   ${t.escrowId ?? '-'}${e === null ? '' : ` opened at ${e.openedAt}, deposits ${formatAmount(BigInt(e.sellerDeposit))}/${formatAmount(BigInt(e.buyerDeposit))} KITH`}`,
      ...(t.pendingTx === null ? [] : [`pending  ${t.pendingTx.kind} ${t.pendingTx.id}`]),
    ].join('\n') + '\n',
  )
}

function formatOffer(x: OfferJson): string {
  const amount =
    x.minAmount === x.maxAmount
      ? formatAmount(BigInt(x.minAmount))
      : `${formatAmount(BigInt(x.minAmount))}-${formatAmount(BigInt(x.maxAmount))}`
  return (
    `  ${x.side} ${amount} KITH at ${x.price} ${x.currency} minor units/KITH via ${x.paymentMethods.join(', ')}${x.mine ? ' (ours)' : ''}\n` +
    `  maker ${x.maker} reputation ${x.reputation.score}; windows ${x.paymentWindowBlocks}/${x.releaseWindowBlocks}/${x.disputeWindowBlocks} blocks; ` +
    `deposits ${x.sellerDepositBps}/${x.buyerDepositBps} bps; arbiters ${x.arbiters.length}; expires ${new Date(x.expiresMs).toISOString()}\n`
  )
}

function formatChat(m: ChatJson): string {
  return `${new Date(m.sentMs).toISOString()} ${m.mine ? 'me  ' : 'them'} #${m.seq}: ${m.body}\n`
}
