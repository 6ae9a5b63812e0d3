import { Elysia } from 'elysia'

/** Placeholder until the dashboard lands: the pages are added here. */
export function dashboardRoutes(_deps: unknown) {
  return new Elysia()
}
