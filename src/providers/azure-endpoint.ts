import { isIP } from 'node:net'
import { isPublicAddress } from '../net/address'

export const API_VERSION_PATTERN = '^(\\d{4}-\\d{2}-\\d{2}(-preview)?|v1)$'

/**
 * Checks an org's Azure endpoint before it is saved: https, no userinfo, query or fragment, and a literal IP must be
 * public (the URL parser has already turned decimal, octal and hex IPv4 forms into dotted ones). A hostname is
 * checked again when Lectr connects, against every address it resolves to.
 * Returns the normalised endpoint (no trailing slash) or every problem.
 */
export function validateAzureEndpoint(raw: string, allowPrivate: boolean): { ok: true; endpoint: string } | { ok: false; problems: string[] } {
  const problems: string[] = []
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { ok: false, problems: ['/endpoint: not a URL; expected https://<resource-name>.openai.azure.com'] }
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    problems.push('/endpoint: must start with https://')
  }
  if (url.username || url.password) problems.push('/endpoint: must not contain user info (user@host)')
  if (url.search || raw.includes('?')) problems.push('/endpoint: must not contain a query')
  if (url.hash || raw.includes('#')) problems.push('/endpoint: must not contain a fragment')
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (isIP(host)) {
      if (!isPublicAddress(host)) problems.push('/endpoint: the host is a loopback, private, link-local or reserved address')
    } else if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local') || !host.includes('.')) {
      problems.push('/endpoint: the host is not a public DNS name')
    }
  }
  if (problems.length) return { ok: false, problems }
  const path = url.pathname.replace(/\/+$/, '')
  return { ok: true, endpoint: `${url.protocol}//${url.host}${path}` }
}
