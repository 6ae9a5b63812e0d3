/**
 * Escape-by-default HTML templating.
 *
 * Every value interpolated into an `html` template is escaped with `Bun.escapeHTML`, unless it is itself
 * `SafeHtml` (the result of another `html` template, or of `raw`). Model names, feature tags and every other
 * string that came from a request are untrusted, so the safe thing must be the easy thing.
 *
 * @example
 * const name = '<script>alert(1)</script>'
 * html`<td title="${name}">${name}</td>`.toString()
 * // '<td title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</td>'
 */

/** Markup that is already safe to emit as is. Only `html` and `raw` create it. */
export class SafeHtml {
  readonly #markup: string
  /** @internal use `html` or `raw` */
  constructor(markup: string) {
    this.#markup = markup
  }
  toString(): string {
    return this.#markup
  }
}

/** What may be interpolated. `true` is left out on purpose: `${cond && html`...`}` must not print "true". */
export type Interpolation = SafeHtml | string | number | null | undefined | false | readonly Interpolation[]

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof SafeHtml) return value.toString()
  if (Array.isArray(value)) return value.map(render).join('')
  return Bun.escapeHTML(String(value))
}

/** Tagged template: escapes every interpolation; arrays are joined; null, undefined and false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '')
  return new SafeHtml(out)
}

/**
 * Marks a trusted string as markup, unescaped. Only for fragments Lectr wrote itself (never request data).
 * @example raw('&nbsp;')
 */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup)
}

/** Escapes a value the way `html` would; for the rare string built outside a template. */
export function escapeHtml(value: Interpolation): string {
  return render(value)
}
