import { Type } from '@sinclair/typebox'
import { problemsOf } from '../http/respond'
import { LIMITS } from '../limits'
import { API_VERSION_PATTERN, validateAzureEndpoint } from '../providers/azure-endpoint'

export const AzureBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: LIMITS.azureEndpoint }),
    apiVersion: Type.String({ pattern: API_VERSION_PATTERN, description: 'e.g. 2024-10-21, 2024-09-01-preview, or v1' }),
  },
  { additionalProperties: false },
)

/** Validates an Azure settings body; the problems a person can act on, or the values to store. */
export function checkAzureBody(value: unknown, allowPrivate: boolean): { ok: true; endpoint: string; apiVersion: string } | { ok: false; problems: string[] } {
  const problems = problemsOf(AzureBody, value)
  const v = value as { endpoint?: unknown; apiVersion?: unknown }
  // An over-long endpoint is already a problem (maxLength); it is not parsed as a URL on top.
  if (typeof v?.endpoint === 'string' && v.endpoint && v.endpoint.length <= LIMITS.azureEndpoint) {
    const ep = validateAzureEndpoint(v.endpoint, allowPrivate)
    if (!ep.ok) problems.push(...ep.problems)
    else if (!problems.length) return { ok: true, endpoint: ep.endpoint, apiVersion: v.apiVersion as string }
  }
  return { ok: false, problems }
}
