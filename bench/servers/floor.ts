// The floor: the least a Bun proxy hop can add. Bun.serve + fetch to the upstream, the body passed back as it came.
// Usage: UPSTREAM=http://127.0.0.1:PORT bun bench/servers/floor.ts [port]   prints "floor listening on PORT"
const upstream = process.env.UPSTREAM!
const port = Number(process.argv[2] ?? 0)

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  idleTimeout: 0,
  async fetch(req) {
    const url = new URL(req.url)
    const res = await fetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer(),
    })
    return new Response(res.body, { status: res.status, headers: res.headers })
  },
})
console.log(`floor listening on ${server.port}`)
export {}
