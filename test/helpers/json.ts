import type { ChatCompletion } from 'openai/resources/chat/completions'
import type { Model } from 'openai/resources/models'
import type { Health } from '../../src/admin/health'
import type { LectrEvent } from '../../src/events/types'
import type { ModelRow } from '../../src/events/queries'
import type { Org, OrgKey } from '../../src/orgs/store'
import type { Recommendation } from '../../src/recommend/types'
import type { RegistryFile } from '../../src/registry/schema'
import type { RegistryStatus } from '../../src/registry/store'

/**
 * The JSON body of `res`, typed as what the test expects Lectr to have answered. Bun types `Response.json()` as
 * `unknown`; the type here is the claim the test's assertions then check, not a cast that hides a mistake.
 */
export function jsonOf<T>(res: Response): Promise<T> {
  return res.json() as Promise<T>
}

/** Lectr's error answer: OpenAI's shape, `lectr_` codes; the admin API adds every problem with a refused body. */
export interface ErrorBody {
  error: { message: string; type: string; code: string; param?: string | null; problems?: string[] }
}

export const errorOf = (res: Response) => jsonOf<ErrorBody>(res)

/** The admin API's answers (src/admin/routes.ts). */
export interface AdminAnswers {
  health: Health
  orgs: { orgs: Org[] }
  createdOrg: Org & { key: string; keyId: string }
  keys: { keys: OrgKey[] }
  createdKey: { id: string; key: string; prefix: string }
  events: { events: LectrEvent[]; next: string | null }
  models: { rows: ModelRow[] }
  registry: RegistryFile & { status: RegistryStatus }
  recommendations: { recommendations: Recommendation[] }
}

/** The JSON answer of an admin API route, typed by which answer it is. */
export function answerOf<K extends keyof AdminAnswers>(res: Response, _kind: K): Promise<AdminAnswers[K]> {
  return jsonOf<AdminAnswers[K]>(res)
}

/** OpenAI's answers as Lectr passes them through, in the OpenAI SDK's own types. */
export interface OpenAIAnswers {
  chat: ChatCompletion
  models: { object: 'list'; data: Model[] }
}

/** The JSON answer of a /v1 route, typed by which OpenAI answer it is. */
export function openaiAnswerOf<K extends keyof OpenAIAnswers>(res: Response, _kind: K): Promise<OpenAIAnswers[K]> {
  return jsonOf<OpenAIAnswers[K]>(res)
}
