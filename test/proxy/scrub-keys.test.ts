import { describe, expect, test } from 'bun:test'
import { clientKeys, REDACTED, scrubKeys } from '../../src/proxy/scrub-keys'

const OWN = 'my-client-key-0123456789'
const R = REDACTED

describe('scrubKeys', () => {
  const cases: Array<[string, string | null, readonly string[], string | null]> = [
    ['null stays null', null, [OWN], null],
    ['a model id is kept', 'gpt-4o-mini-2024-07-18', [OWN], 'gpt-4o-mini-2024-07-18'],
    ['an error code is kept', 'invalid_api_key', [OWN], 'invalid_api_key'],
    ['Google status is kept', 'RESOURCE_EXHAUSTED', [OWN], 'RESOURCE_EXHAUSTED'],
    ['a long model id with words and digits is kept', 'accounts/fireworks/models/deepseek-r1-0528-Qwen3-8B-Instruct', [], 'accounts/fireworks/models/deepseek-r1-0528-Qwen3-8B-Instruct'],
    ['a Gemini model path is kept', 'models/gemini-2.5-flash-preview-05-20', [], 'models/gemini-2.5-flash-preview-05-20'],
    ['a fine-tune id is kept', 'ft:gpt-4o-mini-2024-07-18:my-org:custom:9AbC', [], 'ft:gpt-4o-mini-2024-07-18:my-org:custom:9AbC'],
    ['a word ending in sk- is no key', 'task-classification-model-large-v2', [], 'task-classification-model-large-v2'],
    ['the client key itself', OWN, [OWN], R],
    ['the client key inside text', `key ${OWN} revoked`, [OWN], `key ${R} revoked`],
    ['a piece of the client key (cut short)', 'client-key-01', [OWN], R],
    ['a piece at the end, cut by a length limit', `${'x'.repeat(20)}my-clien`, [OWN], `${'x'.repeat(20)}${R}`],
    ['7 characters of the key are not a piece', 'my-clie', [OWN], 'my-clie'],
    ['a short client key is not looked for', 'gpt-4o', ['gpt-4o'], 'gpt-4o'],
    ['any of several client keys', 'abcdefgh-zz', ['nothing-like-it', 'xxabcdefghxx'], `${R}-zz`],
    ['OpenAI legacy key', 'sk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij', [], R],
    ['OpenAI project key', 'sk-proj-Ab3_cD-eFgHiJkLmNoPqRsTuVwXyZ0123456789', [], R],
    ['Anthropic key inside a code', 'invalid:sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-yz_0123AA', [], `invalid:${R}`],
    ['Groq key', 'gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', [], R],
    ['Google key, 39 characters', 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', [], R],
    ['Azure key, 32 hex digits', 'key=0123456789abcdef0123456789ABCDEF', [], `key=${R}`],
    ['xAI key (generic prefix, random body)', 'xai-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv', [], R],
    ['Hugging Face token (generic prefix)', 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345', [], R],
    ['two keys, two markers', 'gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 and AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', [], `${R} and ${R}`],
    ['the client key shaped like a key, redacted once', `sk-canary-Z9Q8X7W6V5U4T3S2R1`, ['sk-canary-Z9Q8X7W6V5U4T3S2R1'], R],
  ]
  for (const [name, input, keys, expected] of cases) {
    test(name, () => expect(scrubKeys(input, keys)).toBe(expected))
  }

  test('no 8-character piece of the client key survives, wherever the key is cut', () => {
    const key = 'sk-canary-Z9Q8X7W6V5U4T3S2R1'
    for (let from = 0; from < key.length; from++) {
      for (let to = from + 1; to <= key.length; to++) {
        const out = scrubKeys(`model-${key.slice(from, to)}-x`, [key])
        for (let i = 0; i + 8 <= key.length; i++) expect(out.includes(key.slice(i, i + 8))).toBe(false)
      }
    }
  })
})

describe('clientKeys', () => {
  test('Bearer, x-api-key, api-key, x-goog-api-key and ?key=', () => {
    const headers = new Headers({ authorization: 'Bearer sk-1', 'x-api-key': 'ant-2', 'api-key': 'az-3', 'x-goog-api-key': 'g-4' })
    expect(clientKeys(headers, '?alt=sse&key=AIza5')).toEqual(['sk-1', 'ant-2', 'az-3', 'g-4', 'AIza5'])
  })
  test('none sent: none', () => {
    expect(clientKeys(new Headers({ 'content-type': 'application/json' }), '')).toEqual([])
  })
  test('an Authorization without a scheme is taken whole', () => {
    expect(clientKeys(new Headers({ authorization: 'raw-key-value' }), '?api-version=1')).toEqual(['raw-key-value'])
  })
})
