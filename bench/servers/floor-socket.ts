// The floor with fetch replaced by a minimal keep-alive HTTP/1.1 client on `Bun.connect`, which runs on the
// JavaScript thread instead of Bun's HTTP client thread. A measurement, not a proxy: plain HTTP, answers with a
// content-length only, no errors handled. It shows what the cross-thread hand-offs of fetch cost (`bench/threads.ts`).
// Usage: UPSTREAM=http://127.0.0.1:PORT bun bench/servers/floor-socket.ts   prints "floor listening on PORT"
import type { Socket } from 'bun'

const upstream = new URL(process.env.UPSTREAM!)
const host = upstream.hostname
const port = Number(upstream.port)
const encoder = new TextEncoder()
const decoder = new TextDecoder()

interface Answer {
  status: number
  headers: Headers
  body: Uint8Array
}
interface Connection {
  socket: Socket<undefined> | null
  /** bytes of an answer not complete yet */
  partial: Uint8Array | null
  waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null
}
const idle: Connection[] = []

/** The offset just past the blank line that ends the head, or -1. */
function headEnd(b: Uint8Array): number {
  for (let i = 3; i < b.length; i++) if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i + 1
  return -1
}

function received(c: Connection, data: Uint8Array) {
  let bytes = data
  if (c.partial) {
    bytes = new Uint8Array(c.partial.length + data.length)
    bytes.set(c.partial)
    bytes.set(data, c.partial.length)
  }
  const end = headEnd(bytes)
  const lines = end < 0 ? [] : decoder.decode(bytes.subarray(0, end - 4)).split('\r\n')
  const headers = new Headers()
  let length = 0
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i]!.indexOf(':')
    const name = lines[i]!.slice(0, colon)
    const value = lines[i]!.slice(colon + 1).trim()
    if (name.toLowerCase() === 'content-length') length = Number(value)
    else headers.append(name, value)
  }
  if (end < 0 || bytes.length - end < length) {
    c.partial = bytes.slice()
    return
  }
  c.partial = null
  const waiting = c.waiting!
  c.waiting = null
  idle.push(c)
  waiting.resolve({ status: Number(lines[0]!.slice(9, 12)), headers, body: bytes.slice(end, end + length) })
}

async function connect(): Promise<Connection> {
  const c: Connection = { socket: null, partial: null, waiting: null }
  c.socket = await Bun.connect({
    hostname: host,
    port,
    socket: {
      data: (_socket, data) => received(c, data),
      close: () => {
        const i = idle.indexOf(c)
        if (i >= 0) idle.splice(i, 1)
        c.waiting?.reject(new Error('the upstream closed the connection'))
      },
      error: () => {},
    },
  })
  c.socket.setNoDelay(true)
  return c
}

async function send(method: string, target: string, headers: Headers, body: Uint8Array | null): Promise<Answer> {
  const c = idle.pop() ?? (await connect())
  let head = `${method} ${target} HTTP/1.1\r\nhost: ${host}:${port}\r\n`
  for (const [name, value] of headers) if (name !== 'host' && name !== 'content-length' && name !== 'connection') head += `${name}: ${value}\r\n`
  const headBytes = encoder.encode(`${head}content-length: ${body ? body.length : 0}\r\n\r\n`)
  const request = new Uint8Array(headBytes.length + (body?.length ?? 0))
  request.set(headBytes)
  if (body) request.set(body, headBytes.length)
  return new Promise<Answer>((resolve, reject) => {
    c.waiting = { resolve, reject }
    c.socket!.write(request)
  })
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  idleTimeout: 0,
  async fetch(req) {
    const url = new URL(req.url)
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : await req.bytes()
    const answer = await send(req.method, url.pathname + url.search, req.headers, body)
    return new Response(answer.body, { status: answer.status, headers: answer.headers })
  },
})
console.log(`floor listening on ${server.port}`)
