/**
 * A small element builder: text always goes in as text (never as HTML), so nothing a peer or a
 * block carries can inject markup into the page.
 */
export type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value)
    else if (key === 'style') setStyle(el, String(value))
    else if (value === true) el.setAttribute(key, '')
    else el.setAttribute(key, String(value))
  }
  append(el, children)
  return el
}

/**
 * Inline styles through the CSSOM: the page's Content-Security-Policy (style-src 'self') refuses
 * `style="…"` attributes, not properties set from script.
 */
export function setStyle(el: HTMLElement | SVGElement, css: string): void {
  for (const decl of css.split(';')) {
    const i = decl.indexOf(':')
    if (i > 0) el.style.setProperty(decl.slice(0, i).trim(), decl.slice(i + 1).trim())
  }
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child == null || child === false) continue
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Replace an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren()
  append(el, children)
}

/** A definition list from [label, value] pairs. */
export function kv(rows: [string, Child | Child[]][]): HTMLDListElement {
  return h(
    'dl',
    { class: 'kv' },
    rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, ...(Array.isArray(v) ? v : [v]))]),
  )
}

export function table(head: string[], rows: (Child | Child[])[][], testid?: string): HTMLTableElement {
  return h(
    'table',
    { 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h(
      'tbody',
      {},
      ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, ...(Array.isArray(c) ? c : [c]))))),
    ),
  )
}

export function link(href: string, text: string, cls = 'mono'): HTMLAnchorElement {
  return h('a', { href, class: cls }, text)
}

export function progressBar(fraction: number, testid?: string): HTMLDivElement {
  const pct = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0)) * 100
  return h('div', { class: 'bar', 'data-testid': testid }, h('div', { style: `width:${pct.toFixed(1)}%` }))
}
