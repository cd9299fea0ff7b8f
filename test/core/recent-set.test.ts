import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { RecentSet } from '../../src/core/recent-set.ts'

void describe('RecentSet', () => {
  void it('keeps at most max members, forgetting the least recently added', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.string({ maxLength: 2 }), { maxLength: 60 }),
        (max, adds) => {
          const set = new RecentSet(max)
          for (const v of adds) set.add(v)
          // The model: the last `max` distinct values, by their last addition.
          const order: string[] = []
          for (const v of adds) {
            const i = order.indexOf(v)
            if (i >= 0) order.splice(i, 1)
            order.push(v)
          }
          const kept = new Set(order.slice(-max))
          for (const v of new Set(adds)) assert.equal(set.has(v), kept.has(v), v)
        },
      ),
    )
  })

  void it('re-adding refreshes a member; delete forgets it', () => {
    const set = new RecentSet(2)
    set.add('a')
    set.add('b')
    set.add('a')
    set.add('c')
    assert.deepEqual([set.has('a'), set.has('b'), set.has('c')], [true, false, true])
    set.delete('a')
    assert.equal(set.has('a'), false)
  })
})
