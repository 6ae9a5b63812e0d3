/**
 * Lectr as its own process (`bun src/main.ts`), as an operator runs it: for tests of several instances, signals and
 * outages. Its output is read for the port; it is collected whole for the assertions.
 */
import { join } from 'node:path'

const MAIN = join(import.meta.dir, '../../src/main.ts')

export interface LectrProcess {
  proc: ReturnType<typeof Bun.spawn>
  port: number
  url: string
  /** the key of `default` when this start printed it */
  orgKey: string | null
  /** stdout and stderr so far */
  output(): string
  /** SIGTERM, then the exit code */
  terminate(): Promise<number>
}

/** Starts `bun src/main.ts` with only PATH and `env` (plus 127.0.0.1:0), in `cwd`; resolves once it listens. */
export async function spawnLectr(env: Record<string, string>, cwd?: string, timeoutMs = 30_000): Promise<LectrProcess> {
  const proc = Bun.spawn([process.execPath, MAIN], {
    env: { PATH: process.env.PATH ?? '', LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', ...env },
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let out = ''
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) out += decoder.decode(chunk, { stream: true })
  }
  void pump(proc.stdout as ReadableStream<Uint8Array>)
  void pump(proc.stderr as ReadableStream<Uint8Array>)
  const deadline = Date.now() + timeoutMs
  while (!/First request/.test(out)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`lectr did not start (exit ${proc.exitCode}):\n${out}`)
    }
    await Bun.sleep(20)
  }
  const port = Number(/listening on [^:]+:(\d+)/.exec(out)![1])
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    orgKey: /Org "default" key[^:]*: (\S+)/.exec(out)?.[1] ?? null,
    output: () => out,
    async terminate() {
      proc.kill('SIGTERM')
      return await proc.exited
    },
  }
}
