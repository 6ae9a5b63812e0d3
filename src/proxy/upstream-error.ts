import type { ProviderId } from '../registry/schema'
import type { Refusal } from './context'
import type { LectrErrorCode } from './errors'

/**
 * Why forwarding gave the client no upstream answer. `not_configured`: the org has no endpoint for a per-org provider
 * (Azure); `bad_target`: the request cannot be addressed to the provider (no deployment name, no model to replace);
 * `refused`: the upstream's address failed the connect-time check; `unreachable`: no base URL, no address, or the
 * connection failed; `timeout`: no first byte in time; `client_gone`/`shutdown`: the client (or the drain's deadline)
 * ended the request while the provider was still working, so no status came.
 */
export type UpstreamErrorKind = 'not_configured' | 'bad_target' | 'refused' | 'unreachable' | 'timeout' | 'client_gone' | 'shutdown'

/** The one place a forwarding failure becomes a status and a code. */
const ANSWERS: Record<UpstreamErrorKind, { status: number; code: LectrErrorCode }> = {
  not_configured: { status: 400, code: 'lectr_azure_not_configured' },
  bad_target: { status: 400, code: 'lectr_invalid_json' },
  refused: { status: 502, code: 'lectr_upstream_refused' },
  unreachable: { status: 502, code: 'lectr_upstream_unreachable' },
  timeout: { status: 504, code: 'lectr_upstream_timeout' },
  // 499: nobody is left to read an answer; the code says who ended it.
  client_gone: { status: 499, code: 'lectr_client_gone' },
  shutdown: { status: 499, code: 'lectr_shutdown' },
}

/** A forwarding failure (see `UpstreamErrorKind`); a `Refusal` for the client when it was the last attempt. */
export class UpstreamError implements Refusal {
  constructor(
    readonly kind: UpstreamErrorKind,
    readonly provider: ProviderId,
    readonly message: string,
  ) {}

  get status(): number {
    return ANSWERS[this.kind].status
  }

  get code(): LectrErrorCode {
    return ANSWERS[this.kind].code
  }

  /** No answer can reach the client: it left (or the drain cut it); the event is recorded, the answer has no body. */
  get clientGone(): boolean {
    return this.kind === 'client_gone' || this.kind === 'shutdown'
  }
}
