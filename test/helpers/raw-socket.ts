import net from 'node:net'

/** A raw TCP client to Lectr: writes what a test scripts, keeps every byte it gets, and knows when it was closed. */
export interface RawClient {
  socket: net.Socket
  /** everything received so far */
  received(): string
  /** resolves with the ms from connect to close (by either side) */
  closed: Promise<number>
  /** writes `text` one `step`-sized piece every `everyMs`, until done or closed; resolves when it stops */
  trickle(text: string, everyMs: number, step?: number): Promise<void>
}

export function rawConnect(url: string, first = ''): Promise<RawClient> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    let data = ''
    const t0 = performance.now()
    const socket = net.connect(Number(port), hostname)
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (data += d))
    // a reset after Lectr closed is expected; the test looks at what was received
    socket.on('error', () => {})
    const closed = new Promise<number>((r) => socket.on('close', () => r(performance.now() - t0)))
    let gone = false
    void closed.then(() => (gone = true))
    socket.once('connect', () => {
      if (first) socket.write(first)
      resolve({
        socket,
        received: () => data,
        closed,
        async trickle(text, everyMs, step = 1) {
          for (let i = 0; i < text.length && !gone; i += step) {
            await Bun.sleep(everyMs)
            if (!gone) socket.write(text.slice(i, i + step))
          }
        },
      })
    })
    socket.once('error', reject)
  })
}

/** A request head for `path` on Lectr (HTTP/1.1, keep-alive), with the given headers. */
export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  let head = `${method} ${path} HTTP/1.1\r\n`
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
  return head + '\r\n'
}

/** The JSON body of the first answer in `raw` (an HTTP/1.1 answer with a Content-Length). */
export function answerJson(raw: string): any {
  const at = raw.indexOf('\r\n\r\n')
  const length = Number(/content-length: *(\d+)/i.exec(raw.slice(0, at))?.[1])
  return JSON.parse(raw.slice(at + 4, at + 4 + length))
}
