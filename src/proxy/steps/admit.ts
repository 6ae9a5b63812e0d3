import type { Server } from 'bun'
import type { LectrEvent } from '../../events/types'
import { TASKS, type Task } from '../../registry/schema'
import { PROVIDERS } from '../../providers'
import { featureTag, joinWarnings } from '../client-strings'
import type { ProxyShared, Refusal, RequestContext } from '../context'
import { endpointOf } from '../endpoint'
import { errorResponse } from '../errors'
import { hostIsAmbiguous } from '../host'
import { RequestRecord } from '../request-record'
import { AS_SENT } from './route'

const TASK_SET: ReadonlySet<string> = new Set(TASKS)
const VALID_TASKS = TASKS.join(' ')

/**
 * Step 1. The org key: a request without a valid one is answered 401 and is no event. One with it is in flight
 * from here (counted for the drain, its connection on the body deadline) and has its event, to be recorded once.
 */
export function admit(proxy: ProxyShared, req: Request, server: Server<unknown> | null | undefined): RequestContext | Response {
  const started = performance.now()
  const { deps } = proxy
  const incoming = req.headers
  const org = deps.orgs.authenticate(incoming.get('x-lectr-key'))
  if (!org) {
    const missing = !incoming.get('x-lectr-key')
    return errorResponse(
      401,
      missing ? 'lectr_missing_org_key' : 'lectr_invalid_org_key',
      missing ? 'Missing X-Lectr-Key header: send your Lectr org key in it.' : 'The X-Lectr-Key header is not a valid org key.',
    )
  }
  // Until the body is in, the connection keeps a deadline (see connection-timeouts.ts); lifted once it is.
  server?.timeout(req, proxy.bodyBackstop)
  deps.inflight?.add()

  // With an unusable Host (two of them), Bun's req.url is the path alone: the base only lets it parse, and checkHost
  // refuses the request next.
  const url = new URL(req.url, 'http://localhost')
  const path = url.pathname.slice(3) || '/'
  const endpoint = endpointOf(path)
  const registry = deps.registry.current()
  const id = Bun.randomUUIDv7()
  const time = new Date().toISOString()
  const feature = featureTag(incoming.get('x-lectr-feature'))
  const taskHeader = incoming.get('x-lectr-task')
  const task: Task | null = taskHeader && TASK_SET.has(taskHeader.toLowerCase()) ? (taskHeader.toLowerCase() as Task) : null
  const warning = joinWarnings(
    taskHeader && !task ? `X-Lectr-Task "${taskHeader.slice(0, 64)}" is not one of: ${VALID_TASKS}; recorded without a task` : null,
    feature.warning,
  )

  const event: LectrEvent = {
    id, time, org, provider: 'openai', providerUnknown: true, detection: 'fallback', model: null, responseModel: null,
    endpoint, stream: false, status: 0, errorCode: null, inputTokens: null, cachedInputTokens: null, cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: null,
    reasoningTokens: null, costUsd: null, latencyMs: 0, ttfbMs: null, feature: feature.value, task, usageEstimated: false,
    registryVersion: registry.version, routedProvider: null, routedModel: null, ruleId: null, arm: null, routeSkipped: null,
    attempts: 0, baselineCostUsd: null,
  }
  return {
    proxy, req, server, incoming, search: url.search, path, endpoint, registry, org, id, task,
    record: new RequestRecord({ event, started, deps, req, server, registry, search: url.search, warning }),
    headerProvider: null,
    bytes: null, json: null, model: null, stream: false,
    detected: PROVIDERS.openai,
    attempts: AS_SENT,
    provider: PROVIDERS.openai, stripUsageChunk: false, waiting: null, fetchStarted: 0,
    status: 0, ttfbMs: 0, contentType: null,
  }
}

/** Bun joins repeated Host headers with a comma, which no valid Host has: which one the client meant is unknown. */
export function checkHost(ctx: RequestContext): Refusal | null {
  if (!hostIsAmbiguous(ctx.incoming.get('host'))) return null
  return { status: 400, code: 'lectr_invalid_host', message: 'The request must have exactly one Host header, with one host in it.' }
}
