import { Type, type TNull, type TObject, type TString, type TUnion } from '@sinclair/typebox'
import type { Provider } from './types'

/**
 * Tables derived from a list of providers. Pure, so that a test can derive them for a list with one more provider;
 * src/providers/index.ts applies them to the real list once, at start.
 */

/** A row of config.ts's SETTINGS. */
export interface BaseUrlSetting {
  key: `baseUrls.${string}`
  flag: string
  env: string
  kind: 'string'
  default: null
  help: string
}

export function providerIds<const P extends readonly Provider<string>[]>(list: P): readonly P[number]['id'][] {
  return Object.freeze(list.map((p) => p.id))
}

/** Every provider by its id; a Map, so that an id from a request or the database never reaches Object's own keys. */
export function providersByName<P extends Provider<string>>(list: readonly P[]): ReadonlyMap<string, P> {
  const byName = new Map<string, P>()
  for (const p of list) {
    if (byName.has(p.id)) throw new Error(`provider "${p.id}" is listed twice`)
    byName.set(p.id, p)
  }
  return byName
}

/** One `baseUrls.<id>` setting per provider whose base URL a setting can replace, in list order. */
export function baseUrlSettings(list: readonly Provider<string>[]): BaseUrlSetting[] {
  return list.flatMap((p) =>
    p.baseUrlOverride ? [{ key: `baseUrls.${p.id}` as const, flag: p.baseUrlOverride.flag, env: p.baseUrlOverride.env, kind: 'string' as const, default: null, help: p.baseUrlOverride.help }] : [],
  )
}

/** The `baseUrls` object of the Config schema: an http(s) URL or null per overridable provider. */
export function baseUrlsSchema(list: readonly Provider<string>[]): TObject<Record<string, TUnion<[TString, TNull]>>> {
  const properties: Record<string, TUnion<[TString, TNull]>> = {}
  for (const p of list) if (p.baseUrlOverride) properties[p.id] = Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()])
  return Type.Object(properties)
}

/** The environment variable behind each provider's `baseUrls` setting. */
export function overrideEnvs(list: readonly Provider<string>[]): ReadonlyMap<string, string> {
  return new Map(list.flatMap((p) => (p.baseUrlOverride ? [[p.id, p.baseUrlOverride.env] as const] : [])))
}
