/**
 * The node's live event stream (GET /api/v1/events, Server-Sent Events), opened once for the
 * whole app and shared by the pages. EventSource reconnects by itself; the header's "live" mark
 * shows whether it is connected.
 */
import { API } from './api.ts'
import type { NodeEvent } from './types.ts'

type Listener = (event: NodeEvent) => void

const listeners = new Set<Listener>()
let source: EventSource | null = null

export function startEvents(onState: (connected: boolean) => void): void {
  if (source != null) return
  source = new EventSource(`${API}/events`)
  source.onopen = () => onState(true)
  source.onerror = () => onState(false)
  source.onmessage = (m: MessageEvent<string>) => {
    let event: NodeEvent
    try {
      event = JSON.parse(m.data) as NodeEvent
    } catch {
      return
    }
    for (const l of [...listeners]) l(event)
  }
}

/** Listen to events; returns the unsubscribe function (pages call it when they are removed). */
export function onEvent(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
