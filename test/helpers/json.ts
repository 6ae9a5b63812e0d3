import type { ChatCompletion } from 'openai/resources/chat/completions'
import type { Model } from 'openai/resources/models'
import type { Health } from '../../src/operations/health'
import type { ArmRow } from '../../src/storage/events'
import type { LectrEvent } from '../../src/events/types'
import type { ModelRow, RepriceResult } from '../../src/storage/rollups'
import type { Org, OrgKey } from '../../src/storage/orgs'
import type { Recommendation } from '../../src/recommend/types'
import type { PriceOverride } from '../../src/registry/overlay'
import type { ProviderId, RegistryFile } from '../../src/registry/schema'
import type { RegistryStatus } from '../../src/registry/store'
import type { DryRunResult } from '../../src/routing/dry-run'
import type { TraceStep } from '../../src/routing/match'
import type { RouteTarget, RoutingVersion } from '../../src/routing/schema'

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
  /** `POST /api/registry/reload` that succeeded (a failure is an `ErrorBody` with the same `status`) */
  registryReload: { reloaded: true; status: RegistryStatus }
  /** `GET /api/registry/overrides`: `registryVersion` is null while there are none */
  overrides: { overrides: PriceOverride[]; registryVersion: string | null }
  /** `PUT /api/registry/overrides/:provider/:model` */
  override: PriceOverride
  /** `POST /api/orgs/:org/reprice`: the window as ISO 8601 times */
  reprice: RepriceResult & { since: string; until: string }
  /** `POST /api/orgs/:org/routing/dry-run` */
  dryRun: { results: DryRunResult[] }
  /** `total` and `totalMonthlySavingsUsd` count every recommendation, whatever `limit` and `offset` leave out */
  recommendations: { recommendations: Recommendation[]; total: number; totalMonthlySavingsUsd: number }
  /** `GET /api/orgs/:org/routing`: an org that never saved rules is version 0 with no rules and no `updatedAt` */
  routing: Omit<RoutingVersion, 'updatedAt'> & { updatedAt: string | null }
  /** `PUT /api/orgs/:org/routing` */
  savedRouting: { version: number }
  /** `POST /api/orgs/:org/routing/restore` */
  restoredRouting: { version: number; restoredFrom: number }
  routingVersions: { versions: (RoutingVersion & { inForce: boolean })[] }
  routingExplain: RoutingExplain
  routingArms: { arms: ArmRow[] }
  /** `POST /api/orgs/:org/recommendations/canary`: the new rule, saved as a new version */
  canary: { version: number; ruleId: string; percent: number }
}

/**
 * `POST /api/orgs/:org/routing/explain` (src/admin/routing.ts): the rule a described request gets and why each
 * earlier one did not apply. `arm` is there only at 100%, where the draw is certain; no rule: no target.
 */
export type RoutingExplain =
  | { ruleId: string; arm?: 'canary'; percent: number; provider: ProviderId; target: RouteTarget; fallbacks: RouteTarget[]; trace: TraceStep[] }
  | { ruleId: null; arm?: never; percent?: never; provider: ProviderId; target?: never; fallbacks?: never; trace: TraceStep[] }

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
