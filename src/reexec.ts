/**
 * Bun's fetch lets only BUN_CONFIG_MAX_HTTP_REQUESTS (default 256) requests be in flight, and reads it once at
 * process start; every open stream holds one, so the 257th concurrent stream would wait. When the variable is not
 * set, Lectr replaces itself (execve: same process id, so signals and supervisors see no difference) with a copy
 * started with it set. Returns only when this process is the one that should serve.
 */
export function ensureFetchSlots(slots: number): void {
  if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS) return
  const compiled = Bun.main.startsWith('/$bunfs/') || Bun.main.startsWith('B:/~BUN/')
  const args = compiled ? process.argv.slice(2) : [Bun.main, ...process.argv.slice(2)]
  process.execve!(process.execPath, [process.execPath, ...args], { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(slots) })
}
