/** A small Prometheus text-format parser for the tests: samples with their labels, and each metric's TYPE. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  help: Map<string, string>
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity
  if (s === '-Inf') return -Infinity
  if (s === 'NaN') return NaN
  const n = Number(s)
  if (s === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(s)}`)
  return n
}

/** Reads `{a="x",b="y\"z"}` from `line` at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  i++
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i)
    const name = line.slice(i, eq)
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in ${line}`)
    if (line[eq + 1] !== '"') throw new Error(`label value not quoted in ${line}`)
    let j = eq + 2
    let value = ''
    for (;;) {
      const c = line[j]
      if (c === undefined) throw new Error(`unterminated label value in ${line}`)
      if (c === '"') break
      if (c === '\\') {
        const n = line[j + 1]
        if (n === 'n') value += '\n'
        else if (n === '\\' || n === '"') value += n
        else throw new Error(`bad escape \\${n} in ${line}`)
        j += 2
        continue
      }
      value += c
      j++
    }
    if (name in labels) throw new Error(`label ${name} twice in ${line}`)
    labels[name] = value
    i = j + 1
    if (line[i] === ',') i++
  }
  return { labels, end: i + 1 }
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed')
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ')
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!)) throw new Error(`bad type in ${line}`)
      if (types.has(name!)) throw new Error(`TYPE twice for ${name}`)
      types.set(name!, type!)
      continue
    }
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7)
      help.set(rest.slice(0, rest.indexOf(' ')), rest.slice(rest.indexOf(' ') + 1))
      continue
    }
    if (line.startsWith('#')) continue
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
    if (!m) throw new Error(`bad sample line ${JSON.stringify(line)}`)
    const name = m[0]
    let i = name.length
    let labels: Record<string, string> = {}
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i))
    if (line[i] !== ' ') throw new Error(`no value in ${JSON.stringify(line)}`)
    samples.push({ name, labels, value: parseValue(line.slice(i + 1).trim()) })
  }
  return { samples, types, help }
}

/** Samples of `name` whose labels include `where`. */
export function select(x: Exposition, name: string, where: Record<string, string> = {}): Sample[] {
  return x.samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
}

export function total(x: Exposition, name: string, where: Record<string, string> = {}): number {
  return select(x, name, where).reduce((a, s) => a + s.value, 0)
}
