import type { Detection } from '../../events/types'
import { LIMITS } from '../../limits'
import { PROVIDERS } from '../../providers'
import { detectProvider } from '../../registry/detect'
import { isMessagesEndpoint } from '../../usage/types'
import { modelTooLongMessage } from '../client-strings'
import type { Refusal, RequestContext } from '../context'

const BY_ENDPOINT = { ok: true, provider: 'anthropic', detection: 'endpoint', providerUnknown: false } as const

/** Step 2, before the body is read: a bad X-Lectr-Provider is refused without waiting for a body. */
export function checkProviderHeader(ctx: RequestContext): Refusal | null {
  const header = ctx.incoming.get('x-lectr-provider')
  ctx.headerProvider = header
  const byHeader = header ? detectProvider(ctx.registry, null, header) : null
  if (byHeader && !byHeader.ok) return { status: 400, code: 'lectr_invalid_provider', message: byHeader.message }
  return null
}

/** Step 3. The provider the request is for: by header, by model (exact or prefix), or OpenAI's by default. */
export function detect(ctx: RequestContext): Refusal | null {
  // Anthropic's native Messages API is Anthropic's whatever the model or header says.
  const detected = isMessagesEndpoint(ctx.endpoint) ? BY_ENDPOINT : detectProvider(ctx.registry, ctx.model, ctx.headerProvider)
  if (!detected.ok) return { status: 400, code: 'lectr_invalid_provider', message: detected.message }
  const provider = PROVIDERS[detected.provider]
  ctx.detected = provider
  ctx.provider = provider
  const e = ctx.record.event
  e.provider = detected.provider
  e.detection = detected.detection as Detection
  e.providerUnknown = detected.providerUnknown
  if (ctx.model !== null && ctx.model.length > LIMITS.model) return { status: 400, code: 'lectr_model_too_long', message: modelTooLongMessage(ctx.model.length) }
  return null
}
