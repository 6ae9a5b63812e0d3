/** Errors Lectr raises itself, in the OpenAI error shape, with a `lectr_` code and a status that says whose fault it is. */
export type LectrErrorCode =
  | 'lectr_missing_org_key'
  | 'lectr_invalid_org_key'
  | 'lectr_invalid_provider'
  | 'lectr_invalid_json'
  | 'lectr_model_too_long'
  | 'lectr_body_too_large'
  | 'lectr_body_timeout'
  | 'lectr_invalid_host'
  | 'lectr_azure_not_configured'
  | 'lectr_upstream_unreachable'
  | 'lectr_upstream_timeout'
  | 'lectr_upstream_refused'
  | 'lectr_upstream_stalled'
  | 'lectr_not_found'
  // Recorded only: a request that ends so has nobody left to answer (499, no body).
  | 'lectr_client_gone'
  | 'lectr_shutdown'

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  408: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  502: 'upstream_error',
  504: 'upstream_error',
}

export function errorBody(status: number, code: LectrErrorCode, message: string): string {
  return JSON.stringify({ error: { message, type: TYPES[status] ?? 'lectr_error', code } })
}

export function errorResponse(status: number, code: LectrErrorCode, message: string, headers?: Record<string, string>): Response {
  return new Response(errorBody(status, code, message), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}
