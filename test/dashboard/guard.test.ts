import { describe, expect, test } from 'bun:test'
import { parseCookies, setCookie } from '../../src/dashboard/cookies'
import { fromSameOrigin, readForm, safeNext } from '../../src/dashboard/guard'
import { isHttps } from '../../src/dashboard/http'

describe('safeNext', () => {
  const cases: [string | null, string | null][] = [
    ['/', '/'],
    ['/models?provider=openai&range=7d', '/models?provider=openai&range=7d'],
    ['/events/0190f3a2-0000-7000-8000-000000000000', '/events/0190f3a2-0000-7000-8000-000000000000'],
    ['/a/../registry', '/registry'],
    [null, null],
    ['', null],
    ['models', null],
    ['//evil.example', null],
    ['///evil.example', null],
    ['/\\evil.example', null],
    ['\\/evil.example', null],
    ['https://evil.example/', null],
    ['javascript:alert(1)', null],
    ['/\t/evil.example', null],
    ['/\n/evil.example', null],
    ['/signin', null],
    ['/signout?x=1', null],
    ['/signout/everywhere', null],
    ['/signin/', null],
    [`/${'a'.repeat(3000)}`, null],
    // issue 15: dot segments that collapse into `//` once the browser normalises the path
    ['/.//evil.example/x', null],
    ['/x/..//evil', null],
    ['/%2e//evil', null],
    ['/%2E//evil', null],
    ['/%2e%2e//evil', null],
    ['/..//evil', null],
    ['/a/b/../..//evil', null],
    ['/./', '/'],
    ['/./models', '/models'],
    // backslashes, raw or encoded (browsers read `\` as `/`)
    ['\\evil', null],
    ['/\\evil', null],
    ['/%5cevil', null],
    ['/%5Cevil', null],
    ['/models\\..\\..\\evil', null],
    // encoded slashes and schemes
    ['%2f%2fevil', null],
    ['/%2f%2fevil', null],
    ['/%2F/evil', null],
    ['/a%2f..%2f..%2fevil', null],
    ['https://evil', null],
    ['HTTPS://evil', null],
    ['http:/evil', null],
    ['javascript:alert(1)', null],
    ['JavaScript:alert(1)', null],
    ['/javascript:alert(1)', '/javascript:alert(1)'],
    ['data:text/html,x', null],
    // control characters inside, raw or encoded
    ['/\t/evil', null],
    ['/\r\n/evil', null],
    ['/models\n', null],
    ['/%09/evil', null],
    ['/%0d%0aSet-Cookie:x=1', null],
    ['/\u0000/evil', null],
    ['/%00', null],
    ['/%zz', null],
    // good ones are kept (the query as sent, the fragment dropped)
    ['/models?range=7d', '/models?range=7d'],
    ['/events?model=gpt-4o&range=30d#top', '/events?model=gpt-4o&range=30d'],
    ['/settings/keys', '/settings/keys'],
    ['/models?range=7d&next=//evil', '/models?range=7d&next=//evil'],
  ]
  for (const [input, expected] of cases) test(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => expect(safeNext(input)).toBe(expected))
})

describe('fromSameOrigin', () => {
  const req = (headers: Record<string, string>, url = 'http://127.0.0.1:8080/settings/keys') => new Request(url, { method: 'POST', headers })
  const cases: [string, Record<string, string>, boolean][] = [
    ['no headers (curl): left to the CSRF token', {}, true],
    ['same origin', { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' }, true],
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }, true],
    ['Sec-Fetch-Site none (typed by the user)', { 'sec-fetch-site': 'none' }, true],
    ['behind a TLS proxy: https origin, plain host', { origin: 'https://lectr.example.com', host: 'lectr.example.com' }, true],
    ['behind a proxy that rewrites Host', { origin: 'https://lectr.example.com', host: '10.0.0.5:8080', 'x-forwarded-host': 'lectr.example.com' }, true],
    ['explicit default port in Host', { origin: 'https://lectr.example.com', host: 'lectr.example.com:443' }, true],
    ['another site', { origin: 'https://evil.example', host: '127.0.0.1:8080' }, false],
    ['another port', { origin: 'http://127.0.0.1:9090', host: '127.0.0.1:8080' }, false],
    ['a suffix of the host', { origin: 'http://127.0.0.1:8080.evil.example', host: '127.0.0.1:8080' }, false],
    ['Origin: null', { origin: 'null', host: '127.0.0.1:8080' }, false],
    ['not http', { origin: 'file://', host: '127.0.0.1:8080' }, false],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, false],
    ['Sec-Fetch-Site same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }, false],
    ['same Origin but cross-site fetch metadata', { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080', 'sec-fetch-site': 'cross-site' }, false],
  ]
  for (const [name, headers, ok] of cases) test(name, () => expect(fromSameOrigin(req(headers))).toBe(ok))
})

describe('readForm', () => {
  const post = (body: string, type = 'application/x-www-form-urlencoded') => new Request('http://x/', { method: 'POST', headers: { 'content-type': type }, body })
  test('reads urlencoded fields', async () => {
    expect((await readForm(post('a=1&b=%3Cx%3E')))?.get('b')).toBe('<x>')
    expect((await readForm(post('a=1', 'application/x-www-form-urlencoded; charset=UTF-8')))?.get('a')).toBe('1')
  })
  test('refuses other types and bodies over the limit', async () => {
    expect(await readForm(post('{"a":1}', 'application/json'))).toBeNull()
    expect(await readForm(post('a=1', 'multipart/form-data; boundary=x'))).toBeNull()
    expect(await readForm(post(`a=${'x'.repeat(100)}`), 50)).toBeNull()
  })
})

describe('cookies', () => {
  test('parse: first wins, quoted values, broken escapes skipped', () => {
    const c = parseCookies('a=1; b="two"; a=3; bad=%E0%A4%A; lectr_session=abc')
    expect([...c]).toEqual([['a', '1'], ['b', 'two'], ['lectr_session', 'abc']])
    expect(parseCookies(null).size).toBe(0)
  })
  test('set: HttpOnly and SameSite=Strict always; Secure and Max-Age when asked', () => {
    expect(setCookie('s', 'v', { path: '/', secure: false })).toBe('s=v; Path=/; HttpOnly; SameSite=Strict')
    expect(setCookie('s', '', { path: '/signin', secure: true, maxAge: 0 })).toBe('s=; Path=/signin; HttpOnly; SameSite=Strict; Max-Age=0; Secure')
  })
  test('https is read from the URL or X-Forwarded-Proto', () => {
    expect(isHttps(new Request('https://x/'))).toBe(true)
    expect(isHttps(new Request('http://x/', { headers: { 'x-forwarded-proto': 'https' } }))).toBe(true)
    expect(isHttps(new Request('http://x/', { headers: { 'x-forwarded-proto': 'http' } }))).toBe(false)
    expect(isHttps(new Request('http://x/'))).toBe(false)
  })
})
