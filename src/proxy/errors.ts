// Transitional: the error shape moved to src/http/errors.ts (the dashboard answers in it too, and must not import
// the proxy); re-exported while the proxy's files still import it here.
export { errorBody, errorResponse, type LectrErrorCode } from '../http/errors'
