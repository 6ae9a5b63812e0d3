/**
 * The few DOM types the browser tests' in-page functions use. Those functions run in Chromium (Playwright sends their
 * source), but they are type-checked here, where the lib has no DOM on purpose: src runs on a server, and a `window`
 * or `document` there must stay an error. Each browser test declares the globals it uses with these types.
 */
export interface PageElement {
  tagName: string
  /** a string on HTML elements, an SVGAnimatedString on SVG ones */
  className: string | object
  textContent: string | null
  parentElement: PageElement | null
  classList: { contains(name: string): boolean }
  scrollWidth: number
  getAttribute(name: string): string | null
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number; width: number; height: number }
  querySelectorAll(selector: string): ArrayLike<PageElement>
}

export interface PageDocument {
  body: PageElement
  documentElement: PageElement
  querySelectorAll(selector: string): ArrayLike<PageElement>
}

export interface PageWindow {
  innerWidth: number
}

export interface PageStyle {
  overflowX: string
}
