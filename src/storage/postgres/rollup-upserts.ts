import type { SQL } from 'bun'

type ColumnType = 'text' | 'bigint' | 'smallint' | 'float8'

const BUN_ARRAY_TYPE = { text: 'TEXT', bigint: 'INT8', smallint: 'INT2', float8: 'FLOAT8' } as const

/** A roll-up table as the upsert sees it: the columns of its primary key, and the columns that deltas add to. */
export interface AdditiveTable {
  table: string
  key: readonly (readonly [column: string, type: ColumnType])[]
  sums: readonly (readonly [column: string, type: ColumnType])[]
}

const ROLLUP_SUMS = [
  ['requests', 'bigint'], ['errors', 'bigint'], ['input_tokens', 'bigint'], ['cached_input_tokens', 'bigint'],
  ['output_tokens', 'bigint'], ['reasoning_tokens', 'bigint'], ['cost_usd', 'float8'], ['unpriced_requests', 'bigint'],
  ['latency_ms_sum', 'float8'], ['cache_write_tokens', 'bigint'], ['cache_write_1h_tokens', 'bigint'],
] as const
const MODEL_SUMS = [
  ['requests', 'bigint'], ['errors', 'bigint'], ['input_tokens', 'bigint'], ['output_tokens', 'bigint'],
  ['cost_usd', 'float8'], ['unpriced_requests', 'bigint'], ['latency_ms_sum', 'float8'],
  ['cached_input_tokens', 'bigint'], ['cache_write_tokens', 'bigint'], ['cache_write_1h_tokens', 'bigint'],
] as const
const GROUP = [['provider', 'text'], ['model', 'text'], ['feature', 'text'], ['task', 'text']] as const

/**
 * Every roll-up table, in the one order a batch writes them. Rows are locked table by table in this order and, within
 * a table, in key order (`addDeltas` sorts): any two writers take their row locks in the same order, so neither can
 * hold a row the other holds while waiting for one it has: no deadlock, however their batches overlap.
 */
export const ROLLUP_TABLES = {
  rollupsHourly: { table: 'rollups_hourly', key: [['org_id', 'text'], ['hour', 'bigint'], ...GROUP], sums: ROLLUP_SUMS },
  rollupsDaily: { table: 'rollups_daily', key: [['org_id', 'text'], ['day', 'bigint'], ...GROUP], sums: ROLLUP_SUMS },
  modelHourly: {
    table: 'model_rollups_hourly', key: [['org_id', 'text'], ['hour', 'bigint'], ['provider', 'text'], ['model', 'text']], sums: MODEL_SUMS,
  },
  modelDaily: {
    table: 'model_rollups_daily', key: [['org_id', 'text'], ['day', 'bigint'], ['provider', 'text'], ['model', 'text']], sums: MODEL_SUMS,
  },
  latencyHourly: {
    table: 'latency_hourly', key: [['org_id', 'text'], ['hour', 'bigint'], ['provider', 'text'], ['bucket', 'bigint']],
    sums: [['requests', 'bigint']],
  },
  replayDaily: {
    table: 'replay_rollups_daily',
    key: [['org_id', 'text'], ['day', 'bigint'], ...GROUP, ['endpoint', 'text'], ['stream', 'smallint'], ['input_class', 'bigint']],
    sums: [
      ['requests', 'bigint'], ['unpriced_requests', 'bigint'], ['input_tokens', 'bigint'], ['cached_input_tokens', 'bigint'],
      ['cache_write_tokens', 'bigint'], ['cache_write_1h_tokens', 'bigint'], ['output_tokens', 'bigint'], ['cost_usd', 'float8'],
    ],
  },
} as const satisfies Record<string, AdditiveTable>

export type RollupTableName = keyof typeof ROLLUP_TABLES
const TABLE_ORDER = Object.keys(ROLLUP_TABLES) as RollupTableName[]

/** A row of deltas: the key's values, then the sums' values, in the table's column order. */
export type DeltaRow = readonly (string | number)[]

const upsertTexts = new Map<AdditiveTable, string>()

/**
 * The upsert of one table, fixed text (one array per column, unnested in the order given), so it is prepared once per
 * connection. WITH ORDINALITY and ORDER BY keep the rows in the sorted order the locks must be taken in.
 */
export function upsertText(t: AdditiveTable): string {
  let text = upsertTexts.get(t)
  if (text) return text
  const columns = [...t.key, ...t.sums]
  const names = columns.map(([c]) => c)
  text = `INSERT INTO ${t.table} (${names.join(', ')})
    SELECT ${names.join(', ')} FROM unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
      WITH ORDINALITY AS d(${names.join(', ')}, ord)
    ORDER BY ord
    ON CONFLICT (${t.key.map(([c]) => c).join(', ')}) DO UPDATE SET
      ${t.sums.map(([c]) => `${c} = ${t.table}.${c} + EXCLUDED.${c}`).join(',\n      ')}`
  upsertTexts.set(t, text)
  return text
}

function compareKeys(a: DeltaRow, b: DeltaRow, width: number): number {
  for (let i = 0; i < width; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x === y) continue
    return x < y ? -1 : 1
  }
  return 0
}

/**
 * The rows sorted by key, rows of equal key summed into one (a statement may update a row once only). The order only
 * has to be the same in every writer: JavaScript's comparison of the values, whatever the database's collation.
 */
export function sortedDeltas(t: AdditiveTable, rows: readonly DeltaRow[]): DeltaRow[] {
  const width = t.key.length
  const sorted = [...rows].sort((a, b) => compareKeys(a, b, width))
  const merged: (string | number)[][] = []
  for (const row of sorted) {
    const last = merged[merged.length - 1]
    if (last && compareKeys(last, row, width) === 0) {
      for (let i = width; i < row.length; i++) last[i] = (last[i] as number) + (row[i] as number)
    } else {
      merged.push([...row])
    }
  }
  return merged
}

/** Adds the deltas to one table, in key order. Run inside the transaction that inserted their events. */
export async function addDeltas(sql: SQL, t: AdditiveTable, rows: readonly DeltaRow[]): Promise<void> {
  if (rows.length === 0) return
  const sorted = sortedDeltas(t, rows)
  const columns = [...t.key, ...t.sums]
  const params = columns.map(([, type], c) => sql.array(sorted.map((r) => r[c]), BUN_ARRAY_TYPE[type]))
  await sql.unsafe(upsertText(t), params)
}

/** Adds a batch's deltas to every roll-up table that has some, tables in ROLLUP_TABLES' order. */
export async function addAllDeltas(sql: SQL, deltas: Partial<Record<RollupTableName, readonly DeltaRow[]>>): Promise<void> {
  for (const name of TABLE_ORDER) {
    const rows = deltas[name]
    if (rows?.length) await addDeltas(sql, ROLLUP_TABLES[name], rows)
  }
}
