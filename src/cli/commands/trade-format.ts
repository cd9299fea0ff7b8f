/** One line per trade event for `kith events` and `kith chat --follow`. */
import type { TradeEvent } from '../../trade/service/types.ts'

export function formatTradeEvent(e: TradeEvent, at: string): string {
  switch (e.type) {
    case 'offer:added':
      return `${at} offer      ${e.id} added${e.mine ? ' (ours)' : ''}\n`
    case 'offer:removed':
      return `${at} offer      ${e.id} removed (${e.reason})\n`
    case 'trade:message':
      return `${at} chat       trade ${e.id}: message ${e.seq} from ${e.from}\n`
    case 'trade:failed':
      return `${at} trade      ${e.id} failed [${e.code}]\n`
    default:
      return `${at} trade      ${e.id} ${e.state} at height ${e.height}${e.escrowId === null ? '' : ` (escrow ${e.escrowId})`}\n`
  }
}
