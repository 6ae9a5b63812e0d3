import { SETTINGS } from '../config'

export type CliOptions = { ok: true; values: Record<string, string>; positional: string[] } | { ok: false; problem: string }

/**
 * The flags of a one-shot command (`lectr backup`, `lectr keys create`, ...): `--name value` or `--name=value`, only
 * the names given; anything else starting with `--` is a problem. `--db` falls back to LECTR_DB, then the server's
 * default, so a command finds the same database the server uses.
 */
export function parseCliOptions(args: string[], env: Record<string, string | undefined>, names: string[]): CliOptions {
  const values: Record<string, string> = {}
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    if (!names.includes(name)) return { ok: false, problem: `unknown flag --${name} (this command takes ${names.map((n) => `--${n}`).join(', ')})` }
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1)
    if (value === undefined || value === '') return { ok: false, problem: `--${name} needs a value` }
    values[name] = value
  }
  if (names.includes('db') && !values.db) values.db = env.LECTR_DB || SETTINGS.find((s) => s.key === 'db')!.default!
  return { ok: true, values, positional }
}
