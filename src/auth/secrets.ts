/** A new high-entropy secret like `lectr_org_3q…`: 32 random bytes, base64url. */
export function generateSecret(kind: 'org' | 'admin'): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return `lectr_${kind}_${Buffer.from(bytes).toString('base64url')}`
}

/**
 * SHA-256, hex. Secrets are random 256-bit values, so a fast unsalted hash is enough to make a stolen
 * database useless; a slow KDF would only cost every proxied request time.
 */
export function hashSecret(secret: string): string {
  return Bun.SHA256.hash(secret, 'hex')
}

/** Constant-time comparison of two strings: every character is looked at, whatever differs first. */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/** What a key shows in lists: enough to tell keys apart, too little to use. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, 'lectr_org_'.length + 6)
}
