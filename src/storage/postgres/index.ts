/**
 * The storage of one Postgres database (SPEC section 10): connected, migrated once under the advisory lock, today's
 * and tomorrow's event partitions made, the stores built and what the proxy keeps in memory read. `watch` follows
 * the changes other instances make (LISTEN/NOTIFY and the version poll, changes.ts) and reads each area again.
 */
import type { SQL } from 'bun'
import { DAY_MS } from '../../domain'
import { redactDatabaseUrl } from '../../config'
import { StartError } from '../../start-error'
import type { Storage, StorageOptions } from '../index'
import { watchChanges, type ChangeArea } from './changes'
import { connectPostgres, type PostgresConnectOptions } from './connect'
import { postgresFailure } from './errors'
import { PostgresEventStore } from './events'
import { migratePostgres } from './migrations'
import { PostgresOrgs } from './orgs'
import { ensureEventPartitions } from './partitions'
import { PostgresSettings } from './settings'
import { PostgresRollupStore } from './rollups'

const SETTING = '--database-url / LECTR_DATABASE_URL'

export interface PostgresStorage extends Storage {
  /** the pool (for tests and the migration command) */
  readonly sql: SQL
  /**
   * Follows the changes other instances (and `lectr` commands) make: each area in force is read again within about
   * a second; `adminTokenChanged` is called when the admin token changed. Stopped by `close()` too.
   */
  watch(adminTokenChanged: () => void | Promise<void>): { stop(): Promise<void> }
  /** stops the watch and the partition timer, and closes the pool */
  close(): Promise<void>
}

export interface PostgresStorageOptions extends StorageOptions, PostgresConnectOptions {}

/** Where an error message would otherwise carry the password (the URL quoted back by a driver). */
function withoutPassword(message: string, url: string): string {
  const password = URL.canParse(url) ? decodeURIComponent(new URL(url).password) : ''
  const line = message.split('\n')[0] ?? ''
  return password ? line.replaceAll(password, '***') : line
}

/**
 * Opens the database of `url` for a server. A database that cannot be reached or used at start is a StartError
 * naming the setting (the URL shown without its password): with nothing read yet there is no org key to check.
 */
export async function openPostgresStorage(url: string, opts: PostgresStorageOptions = {}): Promise<PostgresStorage> {
  const where = redactDatabaseUrl(url)
  let sql: SQL
  try {
    sql = connectPostgres(url, opts)
  } catch (err) {
    throw new StartError(`${SETTING}: ${withoutPassword((err as Error).message, url)}`)
  }
  try {
    await migratePostgres(sql)
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS
    await ensureEventPartitions(sql, [today, today + DAY_MS])
  } catch (err) {
    await sql.close({ timeout: 0 }).catch(() => {})
    const why = withoutPassword((err as Error).message, url)
    if (postgresFailure(err) === 'unavailable') {
      throw new StartError(`${SETTING}: cannot reach Postgres at ${where} (${why}): start it, or correct the URL`)
    }
    throw new StartError(`${SETTING}: cannot use the database at ${where}: ${why}`)
  }
  const storage = {
    events: new PostgresEventStore(sql),
    orgs: new PostgresOrgs(sql, opts),
    settings: new PostgresSettings(sql, opts),
    rollups: new PostgresRollupStore(sql),
  }
  try {
    await Promise.all([storage.orgs.refresh(), storage.settings.refresh()])
  } catch (err) {
    await sql.close({ timeout: 0 }).catch(() => {})
    throw new StartError(`${SETTING}: cannot read from the database at ${where}: ${withoutPassword((err as Error).message, url)}`)
  }

  const log = opts.log ?? ((line: string) => console.error(line))
  // A server that runs past midnight: tomorrow's partition is made a day ahead, so no batch waits for the catalog.
  const partitionTimer = setInterval(() => {
    const day = Math.floor(Date.now() / DAY_MS) * DAY_MS
    ensureEventPartitions(sql, [day, day + DAY_MS]).catch((err) => log(`lectr: making the next day's event partition failed (the writer makes it when needed): ${(err as Error).message}`))
  }, 3_600_000)
  partitionTimer.unref?.()

  const watches = new Set<{ stop(): Promise<void> }>()
  let closed = false
  return {
    ...storage,
    sql,
    watch(adminTokenChanged) {
      const onChange = async (area: ChangeArea) => {
        if (area === 'orgs') await storage.orgs.refresh()
        else if (area === 'admin-token') await adminTokenChanged()
        // routing and price overrides are both the settings store's memory
        else await storage.settings.refresh()
      }
      const w = watchChanges(sql, onChange, { log })
      const handle = {
        async stop() {
          watches.delete(handle)
          await w.stop()
        },
      }
      watches.add(handle)
      return handle
    },
    async close() {
      if (closed) return
      closed = true
      clearInterval(partitionTimer)
      await Promise.all([...watches].map((w) => w.stop()))
      await sql.close({ timeout: 5 })
    },
  }
}
