// Transitional: the event and `Detection` moved to src/domain.ts; re-exported while parallel branches and the tests
// still import them here.
export type { Detection, LectrEvent } from '../domain'
