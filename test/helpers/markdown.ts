/**
 * Just enough Markdown for the documentation tests: sections, table rows, links and GitHub's heading anchors.
 * Pure functions over the text; the tests read the files.
 */

/** The text with fenced code blocks blanked out (their lines kept, so line numbers still match). */
export function withoutCodeBlocks(text: string): string {
  let inFence = false
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence
        return ''
      }
      return inFence ? '' : line
    })
    .join('\n')
}

/** The lines under the `## title` heading, up to the next heading of the same or a higher level. */
export function section(text: string, title: string): string {
  const lines = withoutCodeBlocks(text).split('\n')
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && l.replace(/^#+ /, '').trim() === title)
  if (start < 0) return ''
  const level = lines[start]!.match(/^#+/)![0].length
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((l) => {
    const m = l.match(/^(#+) /)
    return m !== null && m[1]!.length <= level
  })
  return (end < 0 ? rest : rest.slice(0, end)).join('\n')
}

/** Every `[text](target)` link outside code (fenced blocks and inline code spans), with its line number. */
export function links(text: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = []
  withoutCodeBlocks(text)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length))
      for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ target: m[1]!, line: i + 1 })
    })
  return found
}

/** A link that leaves the repository (a web address, mail) rather than naming a file or a heading in it. */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target)
}

/**
 * The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens, and `-1`,
 * `-2` … after a repeated one.
 * @example anchors('## Admin API: `/api`') // ['admin-api-api']
 */
export function anchors(text: string): string[] {
  const seen = new Map<string, number>()
  const out: string[] = []
  for (const line of withoutCodeBlocks(text).split('\n')) {
    const m = line.match(/^#{1,6} (.*)$/)
    if (!m) continue
    const slug = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    out.push(n === 0 ? slug : `${slug}-${n}`)
  }
  return out
}
