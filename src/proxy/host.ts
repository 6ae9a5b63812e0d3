/**
 * Whether a request's Host cannot be trusted to name one host: missing (HTTP/1.0) is fine, but a comma is what Bun
 * makes of two Host headers (`a, b`), and RFC 9110 allows exactly one Host, with no comma in it.
 */
export function hostIsAmbiguous(host: string | null): boolean {
  return host !== null && host.includes(',')
}
