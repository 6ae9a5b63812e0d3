/** An org's id is its URL slug: lower-case letters, digits and dashes. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
}

/** Callers validate lengths first (with a 400 that lists the problems); this keeps any other path from storing more. */
export function checkLength(what: string, value: string | null, max: number): void {
  if (value !== null && value.length > max) throw new RangeError(`${what} is longer than ${max} characters`)
}
