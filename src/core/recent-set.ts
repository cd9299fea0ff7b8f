/**
 * A Set of strings that forgets its oldest member past `max`: bounded memory of recently seen
 * ids (gossiped transactions, stem messages, junk blocks). Re-adding a member makes it newest.
 */
export class RecentSet {
  readonly #max: number
  readonly #items = new Set<string>()

  constructor(max: number) {
    this.#max = max
  }

  has(v: string): boolean {
    return this.#items.has(v)
  }

  delete(v: string): void {
    this.#items.delete(v)
  }

  add(v: string): void {
    this.#items.delete(v)
    this.#items.add(v)
    if (this.#items.size > this.#max) this.#items.delete(this.#items.values().next().value!)
  }
}
