/**
 * Builds a local URL with a query string, leaving out empty parameters so links stay short and a
 * plain GET form and a link to the same state produce the same URL.
 *
 * @example href('/models', { provider: 'openai', range: null }) // '/models?provider=openai'
 */
export function href(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue
    query.set(name, String(value))
  }
  const qs = query.toString()
  return qs ? `${path}?${qs}` : path
}
