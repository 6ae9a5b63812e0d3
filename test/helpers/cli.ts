import { join } from 'node:path'

const MAIN = join(import.meta.dir, '../../src/main.ts')

/**
 * Runs `bun src/main.ts ARGS` to the end in a child process (a CLI command, from a shell's point of view), with only
 * `PATH` and `env` in its environment; its exit code and whole output.
 * @example const { code, out } = await runCli(['keys', 'create', '--org', 'default', '--db', dbPath])
 */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { code, out, err }
}
