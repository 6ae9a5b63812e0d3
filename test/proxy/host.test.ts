import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { answerJson, rawConnect, requestHead } from '../helpers/raw-socket'
import { hostIsAmbiguous } from '../../src/proxy/host'

// Bun 1.4.5 accepts a request with two Host headers and hands it on with them joined: `Host: a, b` (measured over a
// raw socket; a request with no Host at all it refuses itself, with a bare 400).

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = () => chatJson()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const BODY = JSON.stringify({ model: 'gpt-4o', messages: [] })

/** A chat request written by hand, so that it can carry header lines fetch would never send. */
function rawChat(hostLines: string[], orgKey: string | null): string {
  const head = requestHead('POST', '/v1/chat/completions', {
    ...(orgKey ? { 'x-lectr-key': orgKey } : {}), 'content-type': 'application/json', 'content-length': BODY.length, connection: 'close',
  })
  return head.replace('\r\n', '\r\n' + hostLines.map((h) => `Host: ${h}\r\n`).join('')) + BODY
}

async function send(text: string): Promise<string> {
  const client = await rawConnect(lectr.url, text)
  await client.closed
  return client.received()
}

describe('one Host only', () => {
  test('two Host headers (different or the same): 400 lectr_invalid_host, upstream untouched, one event each', async () => {
    const host = new URL(lectr.url).host
    const upstreamBefore = up.received.length
    const eventsBefore = lectr.events().length
    for (const hosts of [[host, 'evil.example'], [host, host], ['evil.example', host], [`${host}, evil.example`]]) {
      const raw = await send(rawChat(hosts, lectr.orgKey))
      expect(raw).toStartWith('HTTP/1.1 400')
      const body = answerJson(raw)
      expect(body.error.code).toBe('lectr_invalid_host')
      expect(body.error.type).toBe('invalid_request_error')
    }
    expect(up.received.length).toBe(upstreamBefore)
    const events = await eventually(() => {
      const all = lectr.events().slice(eventsBefore)
      return all.length >= 4 && all
    })
    expect(events.map((e: any) => [e.status, e.error_code])).toEqual(Array(4).fill([400, 'lectr_invalid_host']))
  })

  test('two Host headers without an org key: 401 as for any request, no event', async () => {
    const host = new URL(lectr.url).host
    const eventsBefore = lectr.events().length
    const raw = await send(rawChat([host, 'evil.example'], null))
    expect(raw).toStartWith('HTTP/1.1 401')
    expect(answerJson(raw).error.code).toBe('lectr_missing_org_key')
    expect(lectr.events().length).toBe(eventsBefore)
  })

  test('one Host header: forwarded', async () => {
    const upstreamBefore = up.received.length
    const raw = await send(rawChat([new URL(lectr.url).host], lectr.orgKey))
    expect(raw).toStartWith('HTTP/1.1 200')
    expect(up.received.length).toBe(upstreamBefore + 1)
  })

  test('hostIsAmbiguous: a comma, never a plain host or a missing one', () => {
    expect(hostIsAmbiguous('a, b')).toBe(true)
    expect(hostIsAmbiguous('a,a')).toBe(true)
    expect(hostIsAmbiguous('127.0.0.1:8080')).toBe(false)
    expect(hostIsAmbiguous('[::1]:8080')).toBe(false)
    expect(hostIsAmbiguous(null)).toBe(false)
  })
})
