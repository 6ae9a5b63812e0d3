// What every benchmark script sends and how it starts Lectr, kept in one place so that all of them measure the
// same request against the same configuration.

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef'

/** What Lectr prints once it serves: its port (group 1), then the default org's key (group 2). */
export const LECTR_READY = /listening on \S+:(\d+)[\s\S]*?Org "default" key[^:]*: (\S+)/

/** Lectr's environment for a benchmark: 127.0.0.1, a port of its own, the database `db`, OpenAI at the mock. */
export function lectrEnv(mockPort: number, db: string): Record<string, string> {
  return {
    LECTR_HOST: '127.0.0.1',
    LECTR_PORT: '0',
    LECTR_DB: db,
    LECTR_ADMIN_TOKEN: ADMIN_TOKEN,
    LECTR_OPENAI_BASE_URL: `http://127.0.0.1:${mockPort}/v1`,
  }
}

/** The chat completion every variant is sent. */
export const CHAT_REQUEST = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a concise assistant. Answer in one sentence.' },
    { role: 'user', content: 'What is the capital of France, and since when has it been the capital?' },
  ],
  max_tokens: 64,
  temperature: 0.2,
}

/**
 * Signs in to the dashboard at `base` as a person does (the form's CSRF token and cookie, then the admin token; the
 * sign-in page also starts the background read of the finished days). Returns the session's Cookie header.
 */
export async function signIn(base: string, token = ADMIN_TOKEN): Promise<string> {
  const page = await fetch(`${base}/signin`)
  const html = await page.text()
  const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1]
  const formCookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  if (!csrf) throw new Error(`no CSRF token on /signin (${page.status})`)
  const res = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookie, origin: base },
    body: new URLSearchParams({ _csrf: csrf, token, next: '/' }).toString(),
  })
  const session = res.headers.getSetCookie().find((c) => c.startsWith('lectr_session='))
  if (!session) throw new Error(`sign-in failed: ${res.status} ${(await res.text()).slice(0, 300)}`)
  return session.split(';')[0]!
}
