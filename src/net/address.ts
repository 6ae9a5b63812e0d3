import { isIP } from 'node:net'

/**
 * True when an IP literal is a public unicast address: not loopback, private, link-local, cloud metadata, CGNAT,
 * multicast, documentation or otherwise reserved, and not an IPv6 form that hides an IPv4 address (mapped,
 * translated, compatible, NAT64, 6to4, Teredo). Anything that is not a canonical IP literal (a hostname, or an
 * IPv4 address written in decimal, octal or hex) is not public: parse URLs first, which normalises those forms.
 *
 * @example isPublicAddress('20.42.73.1')      // true
 * @example isPublicAddress('169.254.169.254') // false: link-local, cloud metadata
 * @example isPublicAddress('::ffff:7f00:1')   // false: IPv4-mapped 127.0.0.1
 * @example isPublicAddress('2130706433')      // false: not a literal (new URL() makes it 127.0.0.1)
 */
export function isPublicAddress(address: string): boolean {
  const kind = isIP(address)
  if (kind === 4) return isPublicV4(address)
  if (kind === 6) return isPublicV6(address)
  return false
}

function v4Octets(a: string): number[] {
  return a.split('.').map(Number)
}

/** IANA IPv4 special-purpose registry (RFC 6890 and successors): every block not globally reachable. */
function isPublicV4(a: string): boolean {
  const [x, y, z] = v4Octets(a)
  if (x === 0) return false // "this network", 0.0.0.0
  if (x === 10) return false // RFC 1918
  if (x === 127) return false // loopback
  if (x === 100 && y >= 64 && y <= 127) return false // CGNAT, RFC 6598
  if (x === 169 && y === 254) return false // link-local, cloud metadata (169.254.169.254)
  if (x === 172 && y >= 16 && y <= 31) return false // RFC 1918
  if (x === 192 && y === 168) return false // RFC 1918
  if (x === 192 && y === 0 && (z === 0 || z === 2)) return false // IETF protocol assignments; TEST-NET-1
  if (x === 192 && y === 88 && z === 99) return false // 6to4 relay anycast (deprecated)
  if (x === 198 && (y === 18 || y === 19)) return false // benchmarking
  if (x === 198 && y === 51 && z === 100) return false // TEST-NET-2
  if (x === 203 && y === 0 && z === 113) return false // TEST-NET-3
  if (x >= 224) return false // multicast, reserved, broadcast
  return true
}

/** The eight 16-bit groups of an IPv6 literal (zone dropped, an IPv4 tail folded in); null when malformed. */
export function expandV6(a: string): number[] | null {
  let s = a.toLowerCase()
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups
  const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/)
  if (v4) {
    const [p, q, r, t] = v4Octets(v4[1]!)
    s = s.slice(0, -v4[1]!.length) + ((p! << 8) | q!).toString(16) + ':' + ((r! << 8) | t!).toString(16)
  }
  const [head, tail] = s.split('::')
  const h = head ? head.split(':') : []
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : []
  const fill = s.includes('::') ? 8 - h.length - t.length : 0
  const groups = [...h, ...Array(fill).fill('0'), ...t].map((g) => parseInt(g, 16))
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null
}

/** IANA IPv6 special-purpose registry, plus every form that embeds an IPv4 address (refused outright). */
function isPublicV6(a: string): boolean {
  const g = expandV6(a)
  if (!g) return false
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0)
  if (zeros(0, 6)) return false // ::, ::1 and IPv4-compatible ::a.b.c.d
  if (zeros(0, 5) && g[5] === 0xffff) return false // IPv4-mapped ::ffff:a.b.c.d
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return false // IPv4-translated ::ffff:0:a.b.c.d (SIIT)
  if (g[0] === 0x64 && g[1] === 0xff9b) return false // NAT64 64:ff9b::/96 and 64:ff9b:1::/48 can reach any IPv4
  if (g[0] === 0x100 && zeros(1, 4)) return false // discard-only 100::/64
  if (g[0] === 0x2001 && g[1]! < 0x200) return false // IETF protocol assignments 2001::/23, Teredo 2001::/32 included
  if (g[0] === 0x2001 && g[1] === 0x0db8) return false // documentation
  if (g[0] === 0x2002) return false // 6to4 embeds an IPv4 address
  if (g[0] === 0x3fff && g[1]! < 0x1000) return false // documentation 3fff::/20
  if ((g[0]! & 0xfe00) === 0xfc00) return false // unique local fc00::/7
  if ((g[0]! & 0xffc0) === 0xfe80) return false // link-local fe80::/10
  if ((g[0]! & 0xffc0) === 0xfec0) return false // site-local fec0::/10 (deprecated)
  if ((g[0]! & 0xff00) === 0xff00) return false // multicast
  return true
}
