import { isIP } from 'node:net'

/** True when an IP literal is a public unicast address: not loopback, private, link-local, metadata, CGNAT, multicast or reserved. */
export function isPublicAddress(address: string): boolean {
  const kind = isIP(address)
  if (kind === 4) return isPublicV4(address)
  if (kind === 6) return isPublicV6(address)
  return false
}

function v4Octets(a: string): number[] {
  return a.split('.').map(Number)
}

function isPublicV4(a: string): boolean {
  const [x, y] = v4Octets(a)
  if (x === 0 || x === 10 || x === 127) return false
  if (x === 100 && y >= 64 && y <= 127) return false // CGNAT
  if (x === 169 && y === 254) return false // link-local, cloud metadata
  if (x === 172 && y >= 16 && y <= 31) return false
  if (x === 192 && y === 168) return false
  if (x === 192 && y === 0) return false // IETF protocol assignments, 192.0.0.0/24 and TEST-NET-1 192.0.2.0/24
  if (x === 198 && (y === 18 || y === 19)) return false // benchmarking
  if (x === 198 && y === 51) return false
  if (x === 203 && y === 0) return false
  if (x >= 224) return false // multicast and reserved, broadcast
  return true
}

function expandV6(a: string): number[] | null {
  let s = a.toLowerCase()
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups
  const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/)
  if (v4) {
    const [p, q, r, t] = v4Octets(v4[1])
    s = s.slice(0, -v4[1].length) + ((p << 8) | q).toString(16) + ':' + ((r << 8) | t).toString(16)
  }
  const [head, tail] = s.split('::')
  const h = head ? head.split(':') : []
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : []
  const fill = s.includes('::') ? 8 - h.length - t.length : 0
  const groups = [...h, ...Array(fill).fill('0'), ...t].map((g) => parseInt(g, 16))
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null
}

function isPublicV6(a: string): boolean {
  const g = expandV6(a)
  if (!g) return false
  if (g.every((x) => x === 0)) return false // ::
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return false // ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms hide an IPv4 address: refuse them outright.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return false
  if (g[0] === 0x64 && g[1] === 0xff9b) return false // NAT64 can reach any IPv4
  if ((g[0] & 0xfe00) === 0xfc00) return false // unique local fc00::/7
  if ((g[0] & 0xffc0) === 0xfe80) return false // link-local
  if ((g[0] & 0xffc0) === 0xfec0) return false // site-local (deprecated)
  if ((g[0] & 0xff00) === 0xff00) return false // multicast
  if (g[0] === 0x2001 && g[1] === 0x0db8) return false // documentation
  if (g[0] === 0x2002) return false // 6to4 embeds an IPv4 address
  if (g[0] === 0x2001 && g[1] === 0) return false // Teredo embeds an IPv4 address
  return true
}
