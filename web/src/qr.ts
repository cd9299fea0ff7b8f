/** A QR code as an SVG image, from uqr's encoder (pure JS, no dependencies, ~10 KB minified). */
import { renderSVG } from 'uqr'
import { h } from './dom.ts'

export function qrImage(text: string, testid?: string): HTMLImageElement {
  const markup = renderSVG(text, { ecc: 'M', border: 2 })
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`
  return h('img', { class: 'qr', src, alt: `QR code of ${text}`, 'data-testid': testid })
}
