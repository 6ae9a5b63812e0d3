import { adminTokenCommand } from './cli/admin-token'
import { backupCommand } from './cli/backup'
import { keysCommand } from './cli/keys'
import { migrateToPostgresCommand } from './cli/migrate-to-postgres'
import { serviceCommand } from './cli/service'
import { parseConfig, settingsHelp } from './config'
import { checkRegistryFile } from './registry/check'
import { ensureFetchSlots } from './reexec'
import { startServer } from './server'
import { StartError } from './start-error'
import { VERSION } from './version'
import { configureLog, log, requestedLogFormat } from './log'

const HELP = `Lectr ${VERSION}: one URL for every LLM provider, with exact costs.

Usage:
  lectr [serve] [flags]          start the proxy, the admin API and the dashboard
  lectr registry check FILE      validate a registry file and print every problem
  lectr backup FILE              write a consistent copy of the database (safe while the server runs)
  lectr service                  print a hardened systemd unit for this binary
  lectr admin-token reset        print a new admin token (the old one stops working)
  lectr keys create --org ORG [--label LABEL]
                                 print a new key for an org
  (these four take --db FILE or LECTR_DB, like the server)
  lectr migrate-to-postgres --db FILE --database-url URL
                                 copy a SQLite database (server stopped) into an empty Postgres database
  lectr help | --help            this text
  lectr version | --version      the version

Flags (each also an environment variable):
${settingsHelp()}
`

/** One-shot commands, each beside the server (they work on its database while it runs). */
const COMMANDS: Record<string, (args: string[], env: Record<string, string | undefined>) => number | Promise<number>> = {
  backup: backupCommand,
  service: serviceCommand,
  'admin-token': adminTokenCommand,
  keys: keysCommand,
  'migrate-to-postgres': migrateToPostgresCommand,
}

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
  const command = argv[0] ? COMMANDS[argv[0]] : undefined
  if (command) return command(argv.slice(1), process.env)
  const args = argv[0] === 'serve' ? argv.slice(1) : argv
  configureLog({ format: requestedLogFormat(args, process.env) })
  const parsed = parseConfig(args, process.env)
  if (!parsed.ok) {
    const msg = 'lectr: cannot start, the settings have problems:'
    log.error('error', msg, { problems: parsed.errors }, [msg, ...parsed.errors.map((e) => `  - ${e}`)].join('\n'))
    return 2
  }
  const config = parsed.config
  configureLog({ format: config.logFormat === 'json' ? 'json' : 'text' })
  ensureFetchSlots(config.maxUpstreamRequests)
  const running = await startServer(config)
  // Signals are handled before the startup lines are printed: whoever reads them may signal at once.
  let stopping = false
  const onStop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('stop', `lectr: ${signal}: draining (up to ${config.drainSeconds}s), then writing every pending event`, { signal, drainSeconds: config.drainSeconds })
    await running.drain()
    log.info('stop', `lectr: stopped; ${running.writer.written} events written this run`, { written: running.writer.written })
    process.exit(0)
  }
  process.on('SIGTERM', () => void onStop('SIGTERM'))
  process.on('SIGINT', () => void onStop('SIGINT'))
  process.on('SIGHUP', () => {
    void running.registry.refresh().then((r) => {
      if (r.ok) log.info('reload', 'lectr: SIGHUP: registry reloaded', { registryVersion: running.registry.current().version })
      else log.warn('reload', `lectr: SIGHUP: registry has problems, the last good one stays:\n  - ${r.errors.join('\n  - ')}`, { problems: r.errors })
    })
  })
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  const base = `http://${shown}:${running.port}`
  const orgKey = running.defaultOrgKey ?? '<your org key>'
  const registryStatus = running.registry.status
  const registryNow = { source: registryStatus.source, version: running.registry.current().version }
  const lines = [
    `Lectr ${VERSION} listening on ${config.host}:${running.port}`,
    `  Dashboard:  ${base}/   (sign in with the admin token)`,
    `  Proxy:      ${base}/v1`,
    `  Database:   ${running.database}`,
    `  Registry:   ${registryNow.source} (${registryNow.version})${registryStatus.url ? `, checking ${registryStatus.url} every ${config.registryRefreshMinutes} min` : ''}`,
  ]
  for (const problem of registryStatus.lastError ?? []) lines.push(`    registry problem (the registry above stays in force): ${problem}`)
  if (running.generatedAdminToken) lines.push(`  Admin token (shown once, stored hashed): ${running.generatedAdminToken}`)
  if (running.defaultOrgKey) lines.push(`  Org "default" key (shown once, stored hashed): ${running.defaultOrgKey}`)
  lines.push(`  First request:
    curl ${base}/v1/chat/completions \\
      -H "X-Lectr-Key: ${orgKey}" -H "Authorization: Bearer $OPENAI_API_KEY" \\
      -H "Content-Type: application/json" \\
      -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`)
  // In JSON, the banner is one line whose fields say the same (the credentials too, once, as in text).
  log.info('start', lines[0]!, {
    version: VERSION, host: config.host, port: running.port, dashboard: `${base}/`, proxy: `${base}/v1`, db: running.database,
    registry: registryNow.source, registryVersion: registryNow.version,
    ...(running.generatedAdminToken ? { adminToken: running.generatedAdminToken } : {}),
    ...(running.defaultOrgKey ? { orgKey: running.defaultOrgKey } : {}),
  }, lines.join('\n'))
  // Only now are they the user's: a start that dies before this point makes new ones next time and prints those.
  await running.credentialsShown()

  return -1
}

/** One plain line per problem, no stack trace (in the compiled binary Bun's would quote minified source), exit 2. */
function failedStart(err: unknown): number {
  const line = err instanceof StartError ? err.message : `${(err as Error)?.name ?? 'Error'}: ${String((err as Error)?.message ?? err).split('\n')[0]}`
  log.error('error', `lectr: cannot start: ${line}`, undefined, `lectr: cannot start:\n  - ${line}`)
  return 2
}

// After the start, an error nobody caught still ends the process (as Bun would), but prints no source text.
const crash = (err: unknown) => {
  log.error('error', `lectr: unexpected error, stopping: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  process.exit(1)
}
process.on('uncaughtException', crash)
process.on('unhandledRejection', crash)

const code = await main(process.argv.slice(2)).catch(failedStart)
if (code >= 0) process.exit(code)
