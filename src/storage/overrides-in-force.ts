import type { PriceOverride } from '../registry/overlay'

/**
 * The price overrides in force, in memory. Whoever prices requests watches it (the app puts them over the registry,
 * `RegistryStore.setOverlay`), so a change prices the next request.
 */
export interface PriceOverridesInForce {
  current(): readonly PriceOverride[]
  /** Calls `listener` now and after every change. */
  watch(listener: (overrides: readonly PriceOverride[]) => void): void
}

export class OverridesMemory implements PriceOverridesInForce {
  private overrides: readonly PriceOverride[] = []
  private listeners: ((overrides: readonly PriceOverride[]) => void)[] = []

  current(): readonly PriceOverride[] {
    return this.overrides
  }

  watch(listener: (overrides: readonly PriceOverride[]) => void): void {
    this.listeners.push(listener)
    listener(this.overrides)
  }

  replace(overrides: readonly PriceOverride[]): void {
    this.overrides = overrides
    for (const l of this.listeners) l(overrides)
  }
}
