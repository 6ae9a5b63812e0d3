import { expect, test } from 'bun:test'
import { downgradeChain, targetPath } from '../../src/recommend/chain'
import type { ModelEntry, Registry } from '../../src/registry/schema'

const m = (id: string, provider: ModelEntry['provider'], conservative?: string, aggressive?: string): ModelEntry => ({
  id,
  provider,
  price: { input: 1, output: 1 },
  ...(conservative || aggressive ? { downgrade: { ...(conservative && { conservative }), ...(aggressive && { aggressive }) } } : {}),
})

function registryOf(models: ModelEntry[]): Registry {
  return {
    file: { version: 't', providers: [], models },
    version: 't',
    longPromptTokens: 4000,
    minRequests: 20,
    models: new Map(models.map((x) => [x.id, x])),
    providers: new Map(),
    prefixes: [],
  }
}

const R = registryOf([
  m('gpt-4', 'openai', 'gpt-4o'),
  m('gpt-4o', 'openai', 'gpt-4o-mini'),
  m('gpt-4o-mini', 'openai'),
  m('o1', 'openai', 'o1-mini'),
  m('o1-mini', 'openai', 'gpt-4o'),
  m('opus', 'anthropic', 'sonnet', 'haiku'),
  m('sonnet', 'anthropic', 'haiku'),
  m('haiku', 'anthropic'),
  m('odd', 'anthropic', 'sonnet', 'tiny'),
  m('tiny', 'anthropic'),
  m('dated', 'anthropic', 'sonnet-20990101'),
  m('leaky', 'groq', 'gpt-4o-mini'),
  m('a', 'openai', 'b'),
  m('b', 'openai', 'a'),
  m('ghost', 'openai', 'not-in-registry'),
])
const ids = (entries: ModelEntry[] | undefined) => entries?.map((e) => e.id)
const get = (id: string) => R.models.get(id)!

test('the conservative chain, nearest first', () => {
  expect(ids(downgradeChain(R, 'openai', get('gpt-4')))).toEqual(['gpt-4o', 'gpt-4o-mini'])
  expect(ids(downgradeChain(R, 'openai', get('o1')))).toEqual(['o1-mini', 'gpt-4o', 'gpt-4o-mini'])
  expect(ids(downgradeChain(R, 'openai', get('gpt-4o-mini')))).toEqual([])
})

test('azure walks OpenAI\'s chain', () => {
  expect(ids(downgradeChain(R, 'azure', get('gpt-4')))).toEqual(['gpt-4o', 'gpt-4o-mini'])
})

test('a cycle, a foreign target or a missing one ends the chain', () => {
  expect(ids(downgradeChain(R, 'openai', get('a')))).toEqual(['b'])
  expect(ids(downgradeChain(R, 'groq', get('leaky')))).toEqual([])
  expect(ids(downgradeChain(R, 'openai', get('ghost')))).toEqual([])
})

test('a dated target resolves to its undated entry, like traffic does', () => {
  expect(ids(downgradeChain(R, 'anthropic', get('dated')))).toEqual(['sonnet', 'haiku'])
})

test('moderate and conservative: one step', () => {
  expect(ids(targetPath(R, 'openai', get('o1'), 'moderate')?.steps)).toEqual(['o1-mini'])
  expect(ids(targetPath(R, 'openai', get('o1'), 'conservative')?.steps)).toEqual(['o1-mini'])
  expect(targetPath(R, 'openai', get('gpt-4o-mini'), 'conservative')).toBeNull()
})

test('aggressive without its own target: the whole chain, its end last', () => {
  const path = targetPath(R, 'openai', get('o1'), 'aggressive')!
  expect(ids(path.steps)).toEqual(['o1-mini', 'gpt-4o', 'gpt-4o-mini'])
  expect(path.how).toBe('the end of the downgrade chain')
})

test("aggressive with its own target: the chain up to it, or the first step then the target when it is off the chain", () => {
  expect(ids(targetPath(R, 'anthropic', get('opus'), 'aggressive')?.steps)).toEqual(['sonnet', 'haiku'])
  expect(targetPath(R, 'anthropic', get('opus'), 'aggressive')?.how).toBe("the model's aggressive target")
  expect(ids(targetPath(R, 'anthropic', get('odd'), 'aggressive')?.steps)).toEqual(['sonnet', 'tiny'])
})
