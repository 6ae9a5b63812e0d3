/**
 * Roll-ups are only ever added to by the event writer, which the dashboard's day cache watches by itself. A change
 * to roll-ups already written (re-pricing) is announced here, so that caches of them forget that org's days.
 *
 * @example
 * const changes = new RollupChanges()
 * changes.listen((org) => days.forget(org))
 * changes.changed('default')
 */
export class RollupChanges {
  private readonly listeners = new Set<(org: string) => void>()

  listen(listener: (org: string) => void): void {
    this.listeners.add(listener)
  }

  changed(org: string): void {
    for (const listener of this.listeners) listener(org)
  }
}
