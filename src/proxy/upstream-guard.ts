import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { isPublicAddress } from '../net/address'

/** Resolves a hostname to every address it has (IPv4 and IPv6). */
export type Resolve = (hostname: string) => Promise<string[]>

/** The system resolver (`getaddrinfo`, as fetch itself would use). */
export const systemResolve: Resolve = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address)

let resolveOverride: Resolve | null = null

/**
 * Test seam: replaces the resolver `checkUpstreamHost` uses by default, for the whole process (tests start Lectr
 * in-process). `null` restores the system resolver. Never called outside tests.
 *
 * @example setUpstreamResolver(async () => ['10.0.0.5']) // every Azure host now "resolves" to a private address
 */
export function setUpstreamResolver(resolve: Resolve | null): void {
  resolveOverride = resolve
}

/**
 * Where to connect for an upstream URL whose host was checked: the URL with the host replaced by the checked
 * address, the `Host` header to send, and the TLS server name (SNI, and the name the certificate is verified
 * against). fetch then does no DNS lookup of its own, so the address it connects to is the one that was checked.
 */
export interface PinnedTarget {
  url: string
  host: string
  /** null when the URL's host is an IP literal (nothing to pin, and SNI never carries an IP) */
  serverName: string | null
}

export type GuardResult =
  | { ok: true; address: string; pinned: PinnedTarget }
  | { ok: false; code: 'lectr_upstream_refused' | 'lectr_upstream_unreachable'; reason: string }

export interface GuardOptions {
  resolve?: Resolve
  /** how long a DNS lookup may take (default 5 s) */
  timeoutMs?: number
}

const DEFAULT_RESOLVE_TIMEOUT_MS = 5000

/**
 * The connect-time half of Lectr's SSRF defence for org-configured upstreams (Azure endpoints), run when
 * `LECTR_ALLOW_PRIVATE_UPSTREAMS` is off. The URL must be `https://` without user info; its host is resolved and
 * refused when ANY address it resolves to is not public (loopback, private, link-local, metadata, mapped, ...),
 * or when it resolves to nothing. On success it answers the address to connect to (the first IPv4 one, else the
 * first) and the pinned target:
 * connecting there (not to the hostname) closes the DNS-rebinding window between this check and the connection.
 *
 * @example
 * const guard = await checkUpstreamHost('https://contoso.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21')
 * if (guard.ok) fetch(guard.pinned.url, { headers: { host: guard.pinned.host }, tls: { serverName: guard.pinned.serverName } })
 */
export async function checkUpstreamHost(url: string, options: GuardOptions = {}): Promise<GuardResult> {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return { ok: false, code: 'lectr_upstream_refused', reason: 'The Azure endpoint is not a valid URL.' }
  }
  const refused = (reason: string): GuardResult => ({
    ok: false,
    code: 'lectr_upstream_refused',
    reason: `${reason} Refused (LECTR_ALLOW_PRIVATE_UPSTREAMS=1 allows private and plain-http endpoints).`,
  })
  // A setting saved while private upstreams were allowed is checked again here, whole.
  if (u.protocol !== 'https:') return refused(`The Azure endpoint must use https://, not ${u.protocol}//.`)
  if (u.username || u.password) return refused('The Azure endpoint must not contain user info.')

  const host = u.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) {
    if (!isPublicAddress(host)) return refused(`The Azure endpoint ${u.hostname} is not a public address.`)
    return { ok: true, address: host, pinned: { url: u.toString(), host: u.host, serverName: null } }
  }

  const resolve = options.resolve ?? resolveOverride ?? systemResolve
  let addresses: string[]
  try {
    addresses = await withTimeout(resolve(host), options.timeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS)
  } catch {
    return { ok: false, code: 'lectr_upstream_unreachable', reason: `Could not resolve the Azure endpoint host ${u.hostname}.` }
  }
  if (addresses.length === 0) {
    return { ok: false, code: 'lectr_upstream_unreachable', reason: `The Azure endpoint host ${u.hostname} resolves to no address.` }
  }
  // The addresses themselves are not named: they are the operator's network layout, not the client's business.
  if (addresses.some((a) => !isPublicAddress(a))) return refused(`The Azure endpoint host ${u.hostname} resolves to a non-public address.`)
  // IPv4 first: a host with IPv6 records is not always reachable over IPv6 from here, and there is one try.
  const address = addresses.find((a) => isIP(a) === 4) ?? addresses[0]!
  return { ok: true, address, pinned: pinTo(u, address) }
}

/**
 * The URL with its hostname replaced by `address`, plus the `Host` header and TLS server name that keep the
 * request addressed to the original name (a trailing dot is dropped from both).
 *
 * @example pinTo(new URL('https://x.openai.azure.com/openai/v1/chat/completions'), '20.1.2.3')
 * // { url: 'https://20.1.2.3/openai/v1/chat/completions', host: 'x.openai.azure.com', serverName: 'x.openai.azure.com' }
 */
export function pinTo(url: URL, address: string): PinnedTarget {
  const name = url.hostname.replace(/\.+$/, '')
  const pinned = new URL(url)
  pinned.hostname = isIP(address) === 6 ? `[${address}]` : address
  return { url: pinned.toString(), host: url.port ? `${name}:${url.port}` : name, serverName: name }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('DNS lookup timed out')), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
