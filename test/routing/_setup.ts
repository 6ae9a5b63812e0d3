import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import OpenAI from 'openai'
import { chatJson, type Script } from '../helpers/fake-upstream'
import type { TestLectr } from '../helpers/lectr'

const builtin = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))

export const USAGE = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 }

/** The cost of USAGE at a registry model's price, worked out here from the registry file (SPEC section 3). */
export function costAt(model: string): number {
  const p = builtin.models.find((m: any) => m.id === model).price
  return Math.round(((1000 * p.input + 500 * p.output) / 1e6) * 1e10) / 1e10
}

/** A fake provider that answers a chat completion naming the model it was sent, with USAGE. */
export const echoModel = (status = 200): Script => (_req, rec) => {
  const model = JSON.parse(rec.body || '{}').model ?? 'none'
  return status === 200 ? chatJson({ model, usage: USAGE }) : Response.json({ error: { message: 'busy', type: 'x', code: 'busy' } }, { status })
}

export async function putRules(lectr: TestLectr, rules: unknown[], org = 'default'): Promise<Response> {
  return lectr.api(`orgs/${org}/routing`, { method: 'PUT', body: JSON.stringify({ rules }) })
}

export function sdk(lectr: TestLectr, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ baseURL: `${lectr.url}/v1`, apiKey: 'sk-client-openai-key-000', maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey, ...headers } })
}

/** The raw event row of an answer, by its X-Lectr-Request-Id. */
export function eventOf(lectr: TestLectr, res: { headers: Headers }): any {
  const id = res.headers.get('x-lectr-request-id')
  const e = lectr.events().find((row) => row.id === id)
  if (!e) throw new Error(`no event ${id}`)
  return e
}
