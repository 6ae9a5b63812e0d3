/**
 * Lectr as a real process: the compiled binary (as `make build` makes it, from the current sources), started
 * with its own environment, its stdout and stderr captured.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = join(import.meta.dir, '../..')

/**
 * The compiled binary for the current sources. `LECTR_TEST_BINARY` names one to use instead (e.g. `dist/lectr`).
 * Otherwise it is compiled with the Makefile's flags into the temp directory, once per version of the sources,
 * never into `dist/` (another build may be writing there).
 */
export async function lectrBinary(): Promise<string> {
  const given = process.env.LECTR_TEST_BINARY
  if (given) return given
  const hasher = new Bun.CryptoHasher('sha256')
  const files = [...new Bun.Glob('{src,views,public}/**/*').scanSync({ cwd: ROOT, onlyFiles: true })].sort()
  for (const f of [...files, 'package.json', 'bun.lock']) {
    hasher.update(f)
    hasher.update(new Uint8Array(await Bun.file(join(ROOT, f)).arrayBuffer()))
  }
  const name = `lectr-test-bin-${hasher.digest('hex').slice(0, 16)}`
  const out = join(tmpdir(), name)
  if (existsSync(out)) return out
  for (const old of readdirSync(tmpdir())) if (old.startsWith('lectr-test-bin-')) rmSync(join(tmpdir(), old), { force: true })
  const partial = `${out}.${process.pid}.partial`
  const build = Bun.spawnSync(
    [
      process.execPath, 'build', 'src/main.ts', 'src/storage/sqlite/checkpoint-worker.ts', '--compile', '--minify', '--sourcemap=none',
      '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--outfile', partial,
    ],
    { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
  )
  if (build.exitCode !== 0) throw new Error(`building the binary failed:\n${build.stderr.toString()}`)
  renameSync(partial, out)
  return out
}

export interface LectrProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  url: string
  /** the default org's key, when this start created it (printed once) */
  orgKey: string | null
  /** everything printed so far on stdout and stderr */
  stdout(): string
  stderr(): string
  exited: Promise<number>
}

async function collect(stream: ReadableStream<Uint8Array>, sink: { text: string }) {
  const dec = new TextDecoder()
  for await (const chunk of stream) sink.text += dec.decode(chunk, { stream: true })
}

/** Starts the binary with `env` (plus LECTR_HOST=127.0.0.1 and LECTR_PORT=0) and waits until it serves. */
export async function spawnLectr(bin: string, env: Record<string, string>, cwd?: string): Promise<LectrProcess> {
  const proc = Bun.spawn([bin], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const out = { text: '' }
  const err = { text: '' }
  const outDone = collect(proc.stdout, out)
  const errDone = collect(proc.stderr, err)
  const exited = proc.exited.then(async (code) => {
    await Promise.all([outDone, errDone]).catch(() => {})
    return code
  })
  const deadline = Date.now() + 15_000
  while (!out.text.includes('First request:')) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`lectr exited at start:\n${out.text}\n${err.text}`)
    if (Date.now() > deadline) throw new Error(`lectr did not start in time:\n${out.text}\n${err.text}`)
    await Bun.sleep(10)
  }
  const port = out.text.match(/listening on [^\s:]+:(\d+)/)![1]
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    orgKey: out.text.match(/Org "default" key[^:]*: (\S+)/)?.[1] ?? null,
    stdout: () => out.text,
    stderr: () => err.text,
    exited,
  }
}
