import { describe, expect, test } from 'bun:test'
import { createGcPacer } from '../../src/proxy/gc-pacer'

describe('createGcPacer', () => {
  test('asks for one collection per `every` bytes, counted across calls', () => {
    let collections = 0
    const pace = createGcPacer(1000, () => collections++)
    for (let i = 0; i < 9; i++) pace(100)
    expect(collections).toBe(0)
    pace(100)
    expect(collections).toBe(1)
    for (let i = 0; i < 25; i++) pace(100)
    expect(collections).toBe(3)
  })

  test('one large chunk counts once, and the count starts again after it', () => {
    let collections = 0
    const pace = createGcPacer(1000, () => collections++)
    pace(5000)
    expect(collections).toBe(1)
    pace(999)
    expect(collections).toBe(1)
    pace(1)
    expect(collections).toBe(2)
  })
})
