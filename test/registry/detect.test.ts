import { describe, expect, test } from 'bun:test'
import { detectProvider } from '../../src/registry/detect'
import { builtinRegistry } from '../../src/registry/load'
import { SEED_MODELS } from './seed-models'

const registry = builtinRegistry()

describe('detectProvider', () => {
  test.each(SEED_MODELS.map((row) => [row.id, row.provider] as const))('seed model %s is %s, exactly', (model, provider) => {
    expect(detectProvider(registry, model, null)).toEqual({ ok: true, provider, detection: 'exact', providerUnknown: false })
  })

  test.each([
    ['claude-sonnet-9-20990101', 'anthropic'],
    ['claude-3-5-sonnet-20240620', 'anthropic'],
    ['gpt-6', 'openai'],
    ['gpt-7-sol', 'openai'],
    ['claude-sonnet-6', 'anthropic'],
    ['gemini-4-pro', 'gemini'],
    ['gpt-4o-2024-08-06', 'openai'],
    ['o1-pro', 'openai'],
    ['o3-deep-research', 'openai'],
    ['o4-mini-2025-04-16', 'openai'],
    ['chatgpt-4o-latest', 'openai'],
    ['text-embedding-4-small', 'openai'],
    ['omni-moderation-latest', 'openai'],
    ['whisper-1', 'openai'],
    ['tts-1-hd', 'openai'],
    ['dall-e-3', 'openai'],
    ['ft:gpt-4o-mini-2024-07-18:acme::abc123', 'openai'],
    ['gemini-3-pro', 'gemini'],
    ['gemini-2.0-flash-001', 'gemini'],
    ['gemma-3-27b-it', 'gemini'],
    ['text-embedding-004', 'gemini'],
    ['models/gemini-2.0-flash', 'gemini'],
    ['llama-4-scout', 'groq'],
    ['llama-3.3-70b-specdec', 'groq'],
    ['llama3-70b-8192', 'groq'],
    ['meta-llama/llama-guard-4-12b', 'groq'],
    ['openai/gpt-oss-safeguard-20b', 'groq'],
    ['qwen/qwen3-235b-a22b', 'groq'],
    ['deepseek-r1-distill-llama-70b', 'groq'],
    ['gemma2-27b-it', 'groq'],
    ['whisper-large-v3-turbo', 'groq'],
    ['moonshotai/kimi-k2-instruct', 'groq'],
  ] as const)('unlisted %s is %s by prefix', (model, provider) => {
    expect(detectProvider(registry, model, null)).toEqual({ ok: true, provider, detection: 'prefix', providerUnknown: false })
  })

  test.each([['unknown-model'], ['my-azure-deployment'], ['openai/gpt-4o'], ['GPT-4o'], [''], [null]])(
    '%p falls back to openai, provider unknown',
    (model) => {
      expect(detectProvider(registry, model, null)).toEqual({
        ok: true,
        provider: 'openai',
        detection: 'fallback',
        providerUnknown: true,
      })
    },
  )

  test.each([
    ['azure', 'gpt-4o', 'azure'],
    ['groq', 'gpt-4o', 'groq'],
    ['Anthropic', 'gpt-4o', 'anthropic'],
    ['GEMINI', null, 'gemini'],
    [' openai ', 'claude-3-haiku-20240307', 'openai'],
  ] as const)('header %p overrides detection of %p', (header, model, provider) => {
    expect(detectProvider(registry, model, header)).toEqual({ ok: true, provider, detection: 'header', providerUnknown: false })
  })

  test('an empty header is no header', () => {
    expect(detectProvider(registry, 'claude-3-haiku-20240307', '')).toMatchObject({ provider: 'anthropic', detection: 'exact' })
  })

  test.each([['mistral'], ['open ai'], ['azure-openai'], ['x'.repeat(500)]])('header %p is refused with the valid values', (header) => {
    const result = detectProvider(registry, 'gpt-4o', header)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.message).toContain('openai anthropic groq gemini azure')
    expect(result.message.length).toBeLessThan(200)
  })

  test('the longest prefix wins whatever the order in the file', () => {
    // text-embedding- (openai) is shorter than text-embedding-004 (gemini); whisper- shorter than whisper-large-.
    const lengths = registry.prefixes.map((p) => p.prefix.length)
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a))
  })
})
