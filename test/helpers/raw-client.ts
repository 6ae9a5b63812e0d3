import net from 'node:net'

export interface RawAnswer {
  status: number
  headers: Record<string, string>
  /** body bytes received (de-chunked) */
  bodyBytes: number
  /** the body's last bytes, as text */
  tail: string
}

/**
 * An HTTP/1.1 client on a bare socket that sends its request and then reads nothing until `readAll` is called: a
 * client that stalls (a slow phone, a script that never reads), so that only TCP flow control holds the sender back.
 * The body is counted as it comes, never kept whole (only its last `tailBytes`).
 */
export function stalledRequest(url: string, method: string, path: string, headers: Record<string, string>, body = '', tailBytes = 4096) {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  socket.pause()
  const head = [`${method} ${path} HTTP/1.1`, `host: ${hostname}:${port}`, `content-length: ${Buffer.byteLength(body)}`, 'connection: close']
  for (const name in headers) head.push(`${name}: ${headers[name]}`)
  socket.write(`${head.join('\r\n')}\r\n\r\n${body}`)

  const readAll = (): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const parser = new AnswerParser(tailBytes)
      socket.on('data', (data: Buffer) => {
        try {
          if (parser.feed(data)) {
            socket.destroy()
            resolve(parser.answer())
          }
        } catch (err) {
          reject(err)
        }
      })
      socket.on('error', reject)
      socket.on('close', () => (parser.done ? resolve(parser.answer()) : reject(new Error(`connection closed after ${parser.bodyBytes} body bytes`))))
      socket.resume()
    })
  /** Reads until the body shows `marker`, then closes the connection at once (a client that stops there). */
  const readUntilThenClose = (marker: string): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const parser = new AnswerParser(tailBytes)
      socket.on('data', (data: Buffer) => {
        parser.feed(data)
        const answer = parser.answer()
        if (!answer.tail.includes(marker)) return
        socket.destroy()
        resolve(answer)
      })
      socket.on('error', reject)
      socket.on('close', () => reject(new Error(`closed before ${JSON.stringify(marker)}`)))
      socket.resume()
    })
  return { socket, readAll, readUntilThenClose, close: () => socket.destroy() }
}

/** Reads an HTTP/1.1 answer as it streams in: head, then a body by Content-Length or chunked. */
class AnswerParser {
  private buf: Buffer = Buffer.alloc(0)
  private status = 0
  private headers: Record<string, string> = {}
  private inHead = true
  private chunked = false
  private remaining = 0
  private chunkLeft = -1
  private tail = Buffer.alloc(0)
  bodyBytes = 0
  done = false

  constructor(private readonly tailBytes: number) {}

  /** true once the whole answer is in */
  feed(data: Buffer): boolean {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data
    if (this.inHead) {
      const end = this.buf.indexOf('\r\n\r\n')
      if (end === -1) return false
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n')
      this.status = Number(lines[0]!.split(' ')[1])
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        this.headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      this.chunked = (this.headers['transfer-encoding'] ?? '').includes('chunked')
      this.remaining = Number(this.headers['content-length'] ?? 0)
      this.buf = this.buf.subarray(end + 4)
      this.inHead = false
    }
    if (!this.chunked) {
      this.body(this.buf)
      this.buf = Buffer.alloc(0)
      return (this.done = this.bodyBytes >= this.remaining)
    }
    for (;;) {
      if (this.chunkLeft === -1) {
        const eol = this.buf.indexOf('\r\n')
        if (eol === -1) return false
        this.chunkLeft = parseInt(this.buf.subarray(0, eol).toString('latin1'), 16)
        this.buf = this.buf.subarray(eol + 2)
        if (this.chunkLeft === 0) return (this.done = true)
      }
      const take = Math.min(this.chunkLeft, this.buf.length)
      this.body(this.buf.subarray(0, take))
      this.buf = this.buf.subarray(take)
      this.chunkLeft -= take
      if (this.chunkLeft > 0) return false
      // the CRLF after the chunk's data may come in the next packet
      if (this.buf.length < 2) return false
      this.buf = this.buf.subarray(2)
      this.chunkLeft = -1
    }
  }

  private body(bytes: Buffer) {
    this.bodyBytes += bytes.length
    this.tail = Buffer.concat([this.tail, bytes])
    if (this.tail.length > this.tailBytes) this.tail = this.tail.subarray(this.tail.length - this.tailBytes)
  }

  answer(): RawAnswer {
    return { status: this.status, headers: this.headers, bodyBytes: this.bodyBytes, tail: this.tail.toString('utf8') }
  }
}
