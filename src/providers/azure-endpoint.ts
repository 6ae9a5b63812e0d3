import { isIP } from 'node:net'
import { isPublicAddress } from '../net/address'

/** A dated Azure OpenAI API version (`2024-10-21`, `2024-09-01-preview`) or `v1` (Azure's v1 API, no api-version). */
export const API_VERSION_PATTERN = '^(\\d{4}-\\d{2}-\\d{2}(-preview)?|v1)$'

/** Names that only ever mean something inside a private network. */
const PRIVATE_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa', '.lan', '.intranet', '.corp']

/**
 * Checks an org's Azure endpoint before it is saved. Unless private upstreams are allowed: `https://` only, and a
 * literal IP must be public (the URL parser has already turned decimal `2130706433`, octal `0177.0.0.1`, hex
 * `0x7f.0.0.1` and short `127.1` forms into dotted ones, and `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`); a
 * hostname is only refused here when it can only be private (`localhost`, `*.internal`, a single label), and is
 * checked again whenever Lectr connects, against every address it resolves to (`checkUpstreamHost`), so saving
 * one needs no network. Always: no user info (`user@`, which also catches `https://x.openai.azure.com@evil.com`),
 * query, fragment, backslash or whitespace.
 *
 * The endpoint is what the Azure portal shows (`https://RESOURCE.openai.azure.com/`). Lectr appends `/openai/...`
 * itself, so a trailing `/openai` or `/openai/v1` that people copy from Azure's v1 examples is dropped; any
 * other path is kept as a prefix (an API gateway in front of Azure). Returns the normalised endpoint (lower-case
 * host, no trailing slash) or every problem.
 *
 * @example validateAzureEndpoint('https://Contoso.openai.azure.com/', false) // { ok: true, endpoint: 'https://contoso.openai.azure.com' }
 * @example validateAzureEndpoint('https://169.254.169.254', false).ok      // false
 */
export function validateAzureEndpoint(raw: string, allowPrivate: boolean): { ok: true; endpoint: string } | { ok: false; problems: string[] } {
  const problems: string[] = []
  // The URL parser silently drops tabs and newlines inside a URL and reads `\` as `/`: refuse them instead.
  if (/[\s\\]/.test(raw)) problems.push('/endpoint: must not contain whitespace or backslashes')
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return { ok: false, problems: [...problems, '/endpoint: not a URL; expected https://<resource-name>.openai.azure.com'] }
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    problems.push(
      allowPrivate ? '/endpoint: must start with https:// or http://' : '/endpoint: must start with https:// (plain http needs LECTR_ALLOW_PRIVATE_UPSTREAMS=1)',
    )
  }
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/*[^/?#]*@/i.test(raw.trim())) {
    problems.push('/endpoint: must not contain user info (user@host)')
  }
  if (url.search || raw.includes('?')) problems.push('/endpoint: must not contain a query')
  if (url.hash || raw.includes('#')) problems.push('/endpoint: must not contain a fragment')
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '')
    if (isIP(host)) {
      if (!isPublicAddress(host)) {
        problems.push(`/endpoint: ${url.hostname} is a loopback, private, link-local, metadata or reserved address (LECTR_ALLOW_PRIVATE_UPSTREAMS=1 allows it)`)
      }
    } else if (host === 'localhost' || !host.includes('.') || PRIVATE_SUFFIXES.some((s) => host.endsWith(s))) {
      problems.push(`/endpoint: ${url.hostname} is not a public DNS name (LECTR_ALLOW_PRIVATE_UPSTREAMS=1 allows it)`)
    }
  }
  if (problems.length) return { ok: false, problems }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/openai(\/v1)?$/i, '')
  return { ok: true, endpoint: `${url.protocol}//${url.host}${path}` }
}
