/**
 * Base of every page: a custom element that renders when attached, and on removal undoes what it
 * set up (event listeners, timers), so moving between pages leaks nothing. After its first
 * render a page sets `data-ready` and a `kith:ready:<page>` performance mark (tests and the bench
 * wait for these, never for a fixed time).
 */
import { errorBox } from './api.ts'
import { h } from './dom.ts'
import { onEvent } from './events.ts'
import type { NodeEvent } from './types.ts'

export abstract class Page extends HTMLElement {
  /** Path segments after the page name: `#/block/12` gives ['12']. */
  params: string[] = []
  #cleanups: (() => void)[] = []
  #alive = false

  connectedCallback(): void {
    this.#alive = true
    this.render()
      .then(() => {
        if (!this.#alive) return
        this.dataset.ready = 'true'
        performance.mark(`kith:ready:${this.localName.replace(/^kith-|-page$/g, '')}`)
      })
      .catch((err: unknown) => {
        this.replaceChildren(errorBox(err))
        this.dataset.ready = 'true'
      })
  }

  disconnectedCallback(): void {
    this.#alive = false
    for (const c of this.#cleanups.splice(0)) c()
  }

  get alive(): boolean {
    return this.#alive
  }

  protected abstract render(): Promise<void>

  protected listen(fn: (event: NodeEvent) => void): void {
    this.#cleanups.push(onEvent(fn))
  }

  protected every(ms: number, fn: () => void | Promise<void>): void {
    const timer = setInterval(() => {
      void Promise.resolve(fn()).catch(() => {})
    }, ms)
    this.#cleanups.push(() => clearInterval(timer))
  }

  /**
   * `fn` wrapped so that a burst of events costs one run at a time: a call while a run is in
   * flight asks for exactly one more run after it, however many calls came. This bounds the
   * requests a page has open under an event flood (thousands of blocks or transactions), which
   * the browser would otherwise refuse with "Failed to fetch". A failed run is dropped: the next
   * event, or the page's timer, tries again.
   */
  protected coalesced(fn: () => Promise<void>): () => void {
    let running = false
    let again = false
    const run = (): void => {
      if (running) {
        again = true
        return
      }
      running = true
      again = false
      fn()
        .catch(() => {})
        .finally(() => {
          running = false
          if (again && this.#alive) run()
        })
    }
    return run
  }

  /** A titled section with a body element the caller fills. */
  protected section(title: string, body: HTMLElement, testid?: string): HTMLElement {
    return h('section', { class: 'card', 'data-testid': testid }, h('h2', {}, title), body)
  }
}

/** Run an action, showing its error (code and message) in `where`; returns the result or null. */
export async function attempt<T>(where: HTMLElement, fn: () => Promise<T>): Promise<T | null> {
  where.replaceChildren()
  try {
    return await fn()
  } catch (err) {
    where.replaceChildren(errorBox(err))
    return null
  }
}
