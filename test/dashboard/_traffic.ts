/**
 * Real traffic for the dashboard tests: requests proxied through a running Lectr to the fake upstream, including
 * a model name and a feature tag that would run script if a page ever printed them as HTML.
 */
import { chatJson, type FakeUpstream } from '../helpers/fake-upstream'
import type { TestLectr } from '../helpers/lectr'

/** Would run script or break out of an attribute if it were not escaped. */
export const HOSTILE_MODEL = `<img src=x onerror=alert(1)>`
export const HOSTILE_FEATURE = `"><script>alert('feature')</script><img src=x onerror=alert(2)>`

/** How the traffic below adds up. */
export const TRAFFIC = {
  classify: 25, // gpt-4o, task classification, feature "support-triage": enough for a recommendation
  mini: 30, // gpt-4o-mini, no task, feature "search"
  groq: 2, // llama-3.1-8b-instant, slow
  hostile: 1, // HOSTILE_MODEL with HOSTILE_FEATURE: unknown model, unpriced
  errors: 1, // gpt-4o answered 500
  total: 59,
}

const USAGE = { prompt_tokens: 1200, completion_tokens: 180, total_tokens: 1380 }

/** The upstream answers as the requested model would, after `delayMs`. */
function answerAs(up: FakeUpstream, delayMs = 0) {
  up.script = async (_req, rec) => {
    if (delayMs) await Bun.sleep(delayMs)
    return chatJson({ model: JSON.parse(rec.body).model, usage: USAGE })
  }
}

export async function sendTraffic(lectr: TestLectr, up: FakeUpstream, key = lectr.orgKey): Promise<void> {
  const chat = (model: string, headers: Record<string, string> = {}) =>
    lectr.post('chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }, { 'x-lectr-key': key, ...headers }).then((r) => r.text())
  answerAs(up)
  for (let i = 0; i < TRAFFIC.classify; i++) await chat('gpt-4o', { 'x-lectr-task': 'classification', 'x-lectr-feature': 'support-triage' })
  for (let i = 0; i < TRAFFIC.mini; i++) await chat('gpt-4o-mini', { 'x-lectr-feature': 'search' })
  answerAs(up, 150)
  for (let i = 0; i < TRAFFIC.groq; i++) await chat('llama-3.1-8b-instant')
  // The upstream answers with the same unknown model, so the registry has no price for it.
  answerAs(up, 60)
  await chat(HOSTILE_MODEL, { 'x-lectr-feature': HOSTILE_FEATURE })
  up.script = async () => {
    await Bun.sleep(250)
    return Response.json({ error: { message: 'boom', type: 'server_error' } }, { status: 500 })
  }
  await chat('gpt-4o', { 'x-lectr-feature': 'support-triage' })
  up.script = () => chatJson()
}
