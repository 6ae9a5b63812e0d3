/**
 * The multi-instance scenarios (issue 20), registered for one kind of shared store. Each starts its own instances
 * on a fresh store and stops them (SIGTERM: every event written) before looking at what was stored.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { adminAnswers, api, apiJson, drive, expectOneEventPerRequest, load, send, startInstances, Tally, within, type Backend } from './instances-harness'

type Started = Awaited<ReturnType<typeof startInstances>>

export function instanceScenarios(name: string, openBackend: () => Promise<Backend>, opts: { outage: boolean }): void {
  describe(`two Lectr processes on one ${name}`, () => {
    let backend: Backend | null = null
    let started: Started | null = null
    const start = async () => {
      backend = await openBackend()
      started = await startInstances(backend)
      return started
    }
    afterEach(async () => {
      await started?.close()
      await backend?.close()
      started = null
      backend = null
    })

    test('mixed traffic (JSON, streams, upstream errors, clients that leave) through both: every answered request is one event; both answer the admin API alike', async () => {
      const { instances, key } = await start()
      const tally = new Tally()
      await drive(instances, key, 48, tally)
      expect(tally.answered.length).toBe(36)
      expect(tally.aborted).toBe(12)
      expect(tally.unknownKey + tally.refused + tally.cut).toBe(0)
      // The requests whose clients left are recorded once the provider's late answer is in.
      await Bun.sleep(800)
      // Each read waits for its own instance's writer: both have written everything once both have been read.
      for (const l of instances) await apiJson(l, 'orgs/default/events?limit=1')
      const [a, b] = [await adminAnswers(instances[0]!), await adminAnswers(instances[1]!)]
      expect(b).toEqual(a)
      const listed = (a[2] as { body: { events: { id: string }[] } }).body.events
      expect(listed.length).toBe(48)
      for (const l of instances) expect(await l.terminate()).toBe(0)
      await expectOneEventPerRequest(backend!, tally)
    }, 120_000)

    test('a key made on one instance works on the other within 2 s; revoked there, refused on the first within 2 s', async () => {
      const [a, b] = (await start()).instances as [any, any]
      const made = (await apiJson(a, 'orgs/default/keys', { method: 'POST', body: '{"label":"new"}' })) as { id: string; key: string }
      const tally = new Tally()
      await within(2000, async () => {
        await send(b, 'json', made.key, tally)
        return tally.answered.length > 0
      })
      expect((await api(b, `orgs/default/keys/${made.id}`, { method: 'DELETE' })).status).toBe(200)
      await within(2000, async () => {
        const res = await fetch(`${a.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-lectr-key': made.key, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[]}' })
        await res.text()
        return res.status === 401
      })
    }, 60_000)

    test('SIGTERM under load: the instance drains and exits 0, the other goes on, nothing answered is lost', async () => {
      const { instances, key } = await start()
      const [a, b] = instances as [any, any]
      const tally = new Tally()
      const onB = load(b, key, tally)
      const onA = load(a, key, tally)
      await Bun.sleep(400)
      expect(await b.terminate()).toBe(0)
      await onB.stop()
      await Bun.sleep(200)
      await onA.stop()
      expect(tally.answered.length).toBeGreaterThan(10)
      // A request sent on a kept-alive connection as the stopping instance closes it never reached Lectr (no event,
      // no answer); one cut mid-answer would be a lost answer.
      expect(tally.cutErrors.filter((e) => e.startsWith('mid-answer'))).toEqual([])
      expect(tally.unknownKey).toBe(0)
      expect(await a.terminate()).toBe(0)
      await expectOneEventPerRequest(backend!, tally)
    }, 120_000)

    if (opts.outage) {
      test('the database halted for 4 s mid-traffic: both keep serving, health says degraded then ok, every event arrives', async () => {
        const { instances, key } = await start()
        const tally = new Tally()
        const loads = instances.map((l) => load(l, key, tally, 3))
        await Bun.sleep(300)
        await backend!.halt!()
        const during = tally.answered.length
        await Bun.sleep(1500)
        for (const l of instances) {
          const health = (await (await fetch(`${l.url}/api/health`)).json()) as { status: string; reason?: string }
          expect(health.status).toBe('degraded')
        }
        await Bun.sleep(2500)
        // Served from memory the whole time.
        expect(tally.answered.length).toBeGreaterThan(during)
        await backend!.resume!()
        await Bun.sleep(300)
        await Promise.all(loads.map((l) => l.stop()))
        for (const l of instances) {
          await within(20_000, async () => ((await (await fetch(`${l.url}/api/health`)).json()) as { status: string }).status === 'ok')
        }
        for (const l of instances) expect(await l.terminate()).toBe(0)
        expect(tally.cut + tally.unknownKey).toBe(0)
        await expectOneEventPerRequest(backend!, tally)
      }, 120_000)
    }
  })
}
