/**
 * A start that cannot go on because of something the user must change. Its message is one plain line that names
 * the setting (flag and env var) to change; main.ts prints it without a stack trace and exits 2.
 */
export class StartError extends Error {
  override name = 'StartError'
}
