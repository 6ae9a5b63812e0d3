import { describe, expect, test } from 'bun:test'
import { withModel } from '../../src/routing/body-model'
import { inCanary } from '../../src/routing/canary'
import { modelMatches } from '../../src/routing/match'

const te = new TextEncoder()
const td = new TextDecoder()
const swap = (body: string, model: string) => {
  const out = withModel(te.encode(body), model)
  return out && td.decode(out)
}

describe('withModel: only the top-level model changes', () => {
  test('other bytes as sent', () => {
    expect(swap('{"model":"gpt-4o","n":1}', 'gpt-4o-mini')).toBe('{"model":"gpt-4o-mini","n":1}')
    expect(swap('{ "a": {"model":"inner"}, "model" : "gpt-4o" , "s": "\\"model\\""}', 'x')).toBe('{ "a": {"model":"inner"}, "model" : "x" , "s": "\\"model\\""}')
    expect(swap('{"messages":[{"model":"m"}],"model":"a","big":12345678901234567890}', 'b')).toBe('{"messages":[{"model":"m"}],"model":"b","big":12345678901234567890}')
  })
  test('an escaped key, duplicates, and a model needing escapes', () => {
    expect(swap('{"mod\\u0065l":"a"}', 'b')).toBe('{"mod\\u0065l":"b"}')
    expect(swap('{"model":"a","model":"c"}', 'b')).toBe('{"model":"b","model":"b"}')
    expect(swap('{"model":"a"}', 'x"y')).toBe('{"model":"x\\"y"}')
    expect(JSON.parse(swap('{"model":"a"}', 'ünï')!).model).toBe('ünï')
  })
  test('no string model at the top: null', () => {
    expect(swap('{"model":1}', 'b')).toBeNull()
    expect(swap('{"a":{"model":"x"}}', 'b')).toBeNull()
    expect(swap('[{"model":"x"}]', 'b')).toBeNull()
    expect(swap('{"model":"x', 'b')).toBeNull()
  })
})

test('inCanary: deterministic by id, 100% always, about the share asked', () => {
  expect(inCanary('abc', 100)).toBe(true)
  expect(inCanary('abc', 50)).toBe(inCanary('abc', 50))
  let n = 0
  for (let i = 0; i < 10_000; i++) if (inCanary(Bun.randomUUIDv7(), 10)) n++
  expect(n).toBeGreaterThan(800)
  expect(n).toBeLessThan(1200)
})

test('modelMatches: exact, or a prefix with a trailing *', () => {
  expect(modelMatches('gpt-4o', 'gpt-4o')).toBe(true)
  expect(modelMatches('gpt-4o', 'gpt-4o-mini')).toBe(false)
  expect(modelMatches('gpt-4o-2024-*', 'gpt-4o-2024-08-06')).toBe(true)
  expect(modelMatches('gpt-4o-2024-*', 'gpt-4o')).toBe(false)
})

test('firstMatch: the proxy path (no trace) picks the same rule as the explained one, for every combination', () => {
  const { firstMatch } = require('../../src/routing/match') as typeof import('../../src/routing/match')
  const t = { provider: 'openai', model: 'gpt-4o-mini' } as const
  const rules = [
    { id: 'off', enabled: false, match: {}, target: t },
    { id: 'stream-4o', enabled: true, match: { stream: true, model: ['gpt-4o-2024-*', 'gpt-4o'] }, target: t },
    { id: 'emb', enabled: true, match: { endpoint: ['embeddings'], provider: ['openai', 'gemini'] }, target: t },
    { id: 'digest', enabled: true, match: { feature: ['digest'], task: ['summarisation', 'extraction'] }, target: t },
    { id: 'groq', enabled: true, match: { provider: ['groq'] }, target: t },
  ] as any[]
  const seen = new Set<string | null>()
  for (const model of ['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini', null])
    for (const provider of ['openai', 'groq', 'gemini'] as const)
      for (const feature of ['digest', 'chat', null])
        for (const task of ['summarisation', 'generation', null] as const)
          for (const endpoint of ['chat/completions', 'embeddings'] as const)
            for (const stream of [true, false]) {
              const req = { model, provider, feature, task, endpoint, stream }
              const trace: any[] = []
              const explained = firstMatch(rules, req, trace)
              expect(firstMatch(rules, req)).toBe(explained)
              seen.add(explained?.id ?? null)
            }
  expect([...seen].sort()).toEqual(['digest', 'emb', 'groq', 'stream-4o', null].sort() as any)
})
