import { describe, expect, test } from 'bun:test'
import { escapeHtml, html, raw, SafeHtml } from '../../views/html'
import { href } from '../../views/url'

const HOSTILE = `<script>alert("x")</script>`

describe('html', () => {
  test('escapes every interpolation in text', () => {
    expect(html`<td>${HOSTILE}</td>`.toString()).toBe('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>')
  })

  test('escapes both quote kinds, so a value cannot leave an attribute', () => {
    const out = html`<a title="${`x" onmouseover="alert(1)`}" data-x='${`y' onclick='alert(1)`}'>`.toString()
    expect(out).toBe(`<a title="x&quot; onmouseover=&quot;alert(1)" data-x='y&#x27; onclick=&#x27;alert(1)'>`)
    expect(out).not.toContain('" onmouseover="')
  })

  test('escapes ampersands, so entities in data are shown, not decoded', () => {
    expect(html`${'&lt;b&gt; & co'}`.toString()).toBe('&amp;lt;b&amp;gt; &amp; co')
  })

  test('does not escape nested html fragments twice', () => {
    const inner = html`<b>${'<i>'}</b>`
    expect(html`<p>${inner}</p>`.toString()).toBe('<p><b>&lt;i&gt;</b></p>')
  })

  test('joins arrays, escaping each element and keeping fragments', () => {
    expect(html`<ul>${['<a>', html`<li>ok</li>`, ['b&', 1]]}</ul>`.toString()).toBe('<ul>&lt;a&gt;<li>ok</li>b&amp;1</ul>')
  })

  test('null, undefined and false render nothing; numbers and 0 render', () => {
    expect(html`[${null}|${undefined}|${false}|${0}|${12.5}]`.toString()).toBe('[|||0|12.5]')
  })

  test('returns a SafeHtml that strings cannot impersonate', () => {
    const out = html`x`
    expect(out).toBeInstanceOf(SafeHtml)
    // A plain object shaped like SafeHtml is still escaped.
    const fake = { toString: () => '<script>' } as unknown as string
    expect(html`${fake}`.toString()).toBe('&lt;script&gt;')
  })

  test('raw passes trusted markup through; escapeHtml escapes like the template', () => {
    expect(html`${raw('<br>')}`.toString()).toBe('<br>')
    expect(escapeHtml(HOSTILE)).toBe(html`${HOSTILE}`.toString())
  })
})

describe('href', () => {
  test('leaves out empty parameters and encodes the rest', () => {
    expect(href('/models', { provider: 'openai', range: null, sort: '', dir: undefined })).toBe('/models?provider=openai')
    expect(href('/events', { model: 'a&b <c>' })).toBe('/events?model=a%26b+%3Cc%3E')
    expect(href('/')).toBe('/')
  })
})
