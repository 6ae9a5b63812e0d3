import type { Server } from 'bun'
import { join } from 'node:path'
import type { Received, Script } from '../helpers/fake-upstream'
import { chatJson } from '../helpers/fake-upstream'

const FIXTURES = join(import.meta.dir, 'fixtures')

/**
 * A self-signed test certificate (valid until 2126) for `my-resource.openai.azure.com` and
 * `contoso.openai.azure.com`. Test-only: its key is public and it is trusted only where a test passes it as `ca`.
 */
export const TEST_CERT = {
  cert: Bun.file(join(FIXTURES, 'azure-test.pem')),
  key: Bun.file(join(FIXTURES, 'azure-test.key')),
  ca: () => Bun.file(join(FIXTURES, 'azure-test.pem')).text(),
}
export const TEST_CERT_NAME = 'my-resource.openai.azure.com'

/** An https fake Azure on 127.0.0.1, port 0, serving the test certificate; records what it receives like FakeUpstream. */
export class TlsFake {
  readonly received: Received[] = []
  /** the client's source port of each request: a new port is a new connection */
  readonly remotePorts: number[] = []
  script: Script = () => chatJson()
  private server: Server<unknown>

  constructor() {
    this.server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      tls: { cert: TEST_CERT.cert, key: TEST_CERT.key },
      fetch: async (req, server) => {
        this.remotePorts.push(server.requestIP(req)?.port ?? 0)
        const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text()
        const rec: Received = { method: req.method, url: new URL(req.url), headers: req.headers, body }
        this.received.push(rec)
        return this.script(req, rec)
      },
    })
  }
  get last(): Received {
    return this.received[this.received.length - 1]!
  }
  get port(): number {
    return this.server.port!
  }
  stop() {
    this.server.stop(true)
  }
}
