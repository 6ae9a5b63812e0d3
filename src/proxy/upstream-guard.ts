import { lookup } from 'node:dns/promises'
import { isPublicAddress } from '../net/address'

/**
 * Resolves an upstream URL's host and refuses it when any address it resolves to is not public
 * (loopback, private, link-local, metadata, ...). Run at connect time because a saved hostname may later resolve anywhere.
 */
export async function checkUpstreamHost(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const u = new URL(url)
  const host = u.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)
  } catch {
    return { ok: false, reason: `Could not resolve the Azure endpoint host ${u.hostname}.` }
  }
  const bad = addresses.find((a) => !isPublicAddress(a))
  if (bad || addresses.length === 0) {
    return { ok: false, reason: `The Azure endpoint host ${u.hostname} resolves to a non-public address; refused (LECTR_ALLOW_PRIVATE_UPSTREAMS=1 allows it).` }
  }
  return { ok: true }
}
