import { readFileSync } from 'node:fs'
import { parseRegistry } from './load'

/**
 * `lectr registry check FILE`: every problem of a registry file, one per line, or a one-line summary.
 * The caller prints `lines` and exits non-zero when `ok` is false.
 *
 * @example
 * const { ok, lines } = checkRegistryFile('registry.json')
 * for (const line of lines) (ok ? console.log : console.error)(line)
 * process.exit(ok ? 0 : 1)
 */
export function checkRegistryFile(path: string): { ok: boolean; lines: string[] } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    return { ok: false, lines: [`${path}: cannot read the file: ${(error as Error).message}`] }
  }
  const result = parseRegistry(text, path)
  if (!result.ok) {
    const count = result.errors.length
    return { ok: false, lines: [...result.errors, `${count} problem${count === 1 ? '' : 's'} in ${path}`] }
  }
  const { version, providers, models, prefixes } = result.registry
  const all = [...models.values()]
  const priced = all.filter((model) => model.price !== null).length
  const retired = all.filter((model) => model.retired).length
  // A price nobody can trace is allowed in a private file, but worth saying (SPEC section 12 wants both on every entry).
  const unsourced = all.filter((model) => !model.source || !model.checked).length
  return {
    ok: true,
    lines: [
      `${path}: OK, version ${version}: ${providers.size} providers, ${models.size} models (${priced} priced, ${retired} retired, ${unsourced} without source and checked date), ${prefixes.length} prefixes`,
    ],
  }
}
