import { parseConfig, settingsHelp } from './config'
import { checkRegistryFile } from './registry/check'
import { ensureFetchSlots } from './reexec'
import { startServer } from './server'
import { StartError } from './start-error'
import { VERSION } from './version'

const HELP = `Lectr ${VERSION}: one URL for every LLM provider, with exact costs.

Usage:
  lectr [serve] [flags]          start the proxy, the admin API and the dashboard
  lectr registry check FILE      validate a registry file and print every problem
  lectr help | --help            this text
  lectr version | --version      the version

Flags (each also an environment variable):
${settingsHelp()}
`

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP)
    return 0
  }
  if (argv[0] === 'version' || argv.includes('--version') || argv.includes('-v')) {
    console.log(VERSION)
    return 0
  }
  if (argv[0] === 'registry') {
    if (argv[1] !== 'check' || !argv[2]) {
      console.error('usage: lectr registry check FILE')
      return 2
    }
    const r = checkRegistryFile(argv[2])
    for (const line of r.lines) (r.ok ? console.log : console.error)(line)
    return r.ok ? 0 : 1
  }
  const args = argv[0] === 'serve' ? argv.slice(1) : argv
  const parsed = parseConfig(args, process.env)
  if (!parsed.ok) {
    console.error('lectr: cannot start, the settings have problems:')
    for (const e of parsed.errors) console.error(`  - ${e}`)
    return 2
  }
  const config = parsed.config
  ensureFetchSlots(config.maxUpstreamRequests)
  const running = await startServer(config)
  // Signals are handled before the startup lines are printed: whoever reads them may signal at once.
  let stopping = false
  const onStop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`lectr: ${signal}: draining (up to ${config.drainSeconds}s), then writing every pending event`)
    await running.drain()
    console.log(`lectr: stopped; ${running.writer.written} events written this run`)
    process.exit(0)
  }
  process.on('SIGTERM', () => void onStop('SIGTERM'))
  process.on('SIGINT', () => void onStop('SIGINT'))
  process.on('SIGHUP', () => {
    void running.registry.refresh().then((r) => {
      console.log(r.ok ? 'lectr: SIGHUP: registry reloaded' : `lectr: SIGHUP: registry has problems, the last good one stays:\n  - ${r.errors.join('\n  - ')}`)
    })
  })
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  const base = `http://${shown}:${running.port}`
  const orgKey = running.defaultOrgKey ?? '<your org key>'
  console.log(`Lectr ${VERSION} listening on ${config.host}:${running.port}`)
  console.log(`  Dashboard:  ${base}/   (sign in with the admin token)`)
  console.log(`  Proxy:      ${base}/v1`)
  console.log(`  Database:   ${config.db}`)
  const registryStatus = running.registry.status
  console.log(`  Registry:   ${registryStatus.source} (${running.registry.current().version})${registryStatus.url ? `, checking ${registryStatus.url} every ${config.registryRefreshMinutes} min` : ''}`)
  for (const problem of registryStatus.lastError ?? []) console.log(`    registry problem (the registry above stays in force): ${problem}`)
  if (running.generatedAdminToken) console.log(`  Admin token (shown once, stored hashed): ${running.generatedAdminToken}`)
  if (running.defaultOrgKey) console.log(`  Org "default" key (shown once, stored hashed): ${running.defaultOrgKey}`)
  console.log(`  First request:
    curl ${base}/v1/chat/completions \\
      -H "X-Lectr-Key: ${orgKey}" -H "Authorization: Bearer $OPENAI_API_KEY" \\
      -H "Content-Type: application/json" \\
      -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`)
  // Only now are they the user's: a start that dies before this point makes new ones next time and prints those.
  running.credentialsShown()

  return -1
}

/** One plain line per problem, no stack trace (in the compiled binary Bun's would quote minified source), exit 2. */
function failedStart(err: unknown): number {
  const line = err instanceof StartError ? err.message : `${(err as Error)?.name ?? 'Error'}: ${String((err as Error)?.message ?? err).split('\n')[0]}`
  console.error('lectr: cannot start:')
  console.error(`  - ${line}`)
  return 2
}

// After the start, an error nobody caught still ends the process (as Bun would), but prints no source text.
const crash = (err: unknown) => {
  console.error(`lectr: unexpected error, stopping: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  process.exit(1)
}
process.on('uncaughtException', crash)
process.on('unhandledRejection', crash)

const code = await main(process.argv.slice(2)).catch(failedStart)
if (code >= 0) process.exit(code)
