import { describe, expect, test } from 'bun:test'
import { isPublicAddress } from '../../src/net/address'

// Every form an attacker (or a careless admin) can use to name a non-public address, and public neighbours
// of each blocked range so that the ranges are not drawn too wide.
const NOT_PUBLIC: [string, string][] = [
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '"this network" 0/8'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback, top of 127/8'],
  ['10.0.0.1', 'RFC 1918 10/8'],
  ['10.255.255.255', 'RFC 1918 10/8, top'],
  ['172.16.0.1', 'RFC 1918 172.16/12'],
  ['172.31.255.255', 'RFC 1918 172.16/12, top'],
  ['192.168.1.1', 'RFC 1918 192.168/16'],
  ['169.254.169.254', 'cloud metadata (link-local)'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'CGNAT 100.64/10'],
  ['100.127.255.255', 'CGNAT, top'],
  ['192.0.0.8', 'IETF protocol assignments 192.0.0/24'],
  ['192.0.2.1', 'TEST-NET-1'],
  ['198.18.0.1', 'benchmarking 198.18/15'],
  ['198.19.255.255', 'benchmarking, top'],
  ['198.51.100.7', 'TEST-NET-2'],
  ['203.0.113.9', 'TEST-NET-3'],
  ['192.88.99.1', '6to4 relay anycast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)'],
  ['240.0.0.1', 'reserved 240/4'],
  ['255.255.255.255', 'broadcast'],
  ['::', 'IPv6 unspecified'],
  ['::1', 'IPv6 loopback'],
  ['0:0:0:0:0:0:0:1', 'IPv6 loopback, long form'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata'],
  ['::ffff:8.8.8.8', 'IPv4-mapped, even of a public address'],
  ['0:0:0:0:0:ffff:10.0.0.1', 'IPv4-mapped, long form'],
  ['::ffff:0:7f00:1', 'IPv4-translated (SIIT)'],
  ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
  ['::7f00:1', 'IPv4-compatible, hex'],
  ['64:ff9b::7f00:1', 'NAT64 well-known prefix'],
  ['64:ff9b:1::a00:1', 'NAT64 local-use prefix'],
  ['100::1', 'discard-only 100::/64'],
  ['2001::1', 'Teredo'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo, full'],
  ['2001:2::1', 'benchmarking 2001:2::/48'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation 3fff::/20'],
  ['2002:7f00:1::1', '6to4 (embeds 127.0.0.1)'],
  ['fc00::1', 'unique local fc00::/7'],
  ['fd12:3456:789a::1', 'unique local fd00::/8'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local with a zone'],
  ['febf::1', 'link-local, top of fe80::/10'],
  ['fec0::1', 'site-local (deprecated)'],
  ['ff02::1', 'multicast'],
  ['FE80::1', 'upper case'],
  // Not canonical literals: never public here. `new URL()` turns the URL forms into dotted ones (see below).
  ['2130706433', 'decimal IPv4'],
  ['0177.0.0.1', 'octal IPv4'],
  ['0x7f.0.0.1', 'hex IPv4'],
  ['0x7f000001', 'hex IPv4, one number'],
  ['127.1', 'short IPv4'],
  ['localhost', 'a hostname'],
  ['contoso.openai.azure.com', 'a hostname, even a public one'],
  ['', 'empty'],
  ['[::1]', 'brackets (URL host syntax, not an address)'],
  ['1.2.3.4.5', 'too many parts'],
  ['256.1.1.1', 'out of range'],
]

const PUBLIC: [string, string][] = [
  ['1.1.1.1', 'public'],
  ['8.8.8.8', 'public'],
  ['20.42.73.1', 'an Azure address'],
  ['9.255.255.255', 'just below 10/8'],
  ['11.0.0.1', 'just above 10/8'],
  ['100.63.255.255', 'just below CGNAT'],
  ['100.128.0.1', 'just above CGNAT'],
  ['126.255.255.255', 'just below loopback'],
  ['128.0.0.1', 'just above loopback'],
  ['169.253.255.255', 'just below link-local'],
  ['172.15.255.255', 'just below 172.16/12'],
  ['172.32.0.1', 'just above 172.16/12'],
  ['192.0.1.1', 'between 192.0.0/24 and TEST-NET-1'],
  ['192.0.43.10', 'public, inside 192.0/16'],
  ['192.167.255.255', 'just below 192.168/16'],
  ['192.169.0.1', 'just above 192.168/16'],
  ['198.17.255.255', 'just below benchmarking'],
  ['198.20.0.1', 'just above benchmarking'],
  ['198.51.101.1', 'next to TEST-NET-2'],
  ['203.0.114.1', 'next to TEST-NET-3'],
  ['203.0.1.1', 'public, inside 203.0/16'],
  ['223.255.255.254', 'just below multicast'],
  ['2606:4700:4700::1111', 'public IPv6'],
  ['2603:1030::1', 'an Azure IPv6 address'],
  ['2001:4860:4860::8888', 'public IPv6 in 2001::/16, outside 2001::/23'],
  ['2620:fe::fe', 'public IPv6'],
  ['fbff::1', 'just below fc00::/7'],
]

describe('isPublicAddress', () => {
  test.each(NOT_PUBLIC)('%s is not public (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false)
  })
  test.each(PUBLIC)('%s is public (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(true)
  })
})

// The endpoint check relies on the WHATWG URL parser to normalise every IPv4 and IPv6 spelling before
// isPublicAddress sees the host; this pins that behaviour down.
const URL_FORMS: [string, string][] = [
  ['https://2130706433', '127.0.0.1'],
  ['https://0177.0.0.1', '127.0.0.1'],
  ['https://0x7f.0.0.1', '127.0.0.1'],
  ['https://0x7f000001', '127.0.0.1'],
  ['https://127.1', '127.0.0.1'],
  ['https://127.0.0.1.', '127.0.0.1'],
  ['https://%31%32%37.0.0.1', '127.0.0.1'],
  ['https://①②⑦.0.0.1', '127.0.0.1'],
  ['https://0', '0.0.0.0'],
  ['https://[::ffff:127.0.0.1]', '::ffff:7f00:1'],
  ['https://[0:0:0:0:0:ffff:127.0.0.1]', '::ffff:7f00:1'],
  ['https://[::127.0.0.1]', '::7f00:1'],
  ['https://[0::1]', '::1'],
  ['https://169.254.169.254', '169.254.169.254'],
  ['https://0251.0376.0251.0376', '169.254.169.254'],
  ['https://0xa9fea9fe', '169.254.169.254'],
]

describe('URL forms are normalised before the check', () => {
  test.each(URL_FORMS)('%s names %s, which is not public', (raw, address) => {
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '')
    expect(host).toBe(address)
    expect(isPublicAddress(host)).toBe(false)
  })
})
