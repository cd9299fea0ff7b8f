import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Key } from 'interface-datastore'
import { openDatabase } from '../../src/store/sqlite.ts'
import { SqliteDatastore } from '../../src/store/datastore.ts'
import { tempDir } from '../helpers/nodes.ts'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('SqliteDatastore', () => {
  it('persists puts, deletes and batches across reopen', async () => {
    const path = join(await tempDir(), 'kith.db')
    let db = openDatabase(path)
    let ds = new SqliteDatastore(db)
    ds.put(new Key('/peers/a'), bytes('A'))
    ds.put(new Key('/peers/b'), bytes('B'))
    ds.put(new Key('/other/c'), bytes('C'))
    ds.delete(new Key('/peers/b'))
    const batch = ds.batch()
    batch.put(new Key('/peers/d'), bytes('D'))
    batch.delete(new Key('/other/c'))
    await batch.commit()
    db.close()

    db = openDatabase(path)
    ds = new SqliteDatastore(db)
    assert.deepEqual(new TextDecoder().decode(ds.get(new Key('/peers/a'))), 'A')
    assert.equal(ds.has(new Key('/peers/b')), false)
    assert.equal(ds.has(new Key('/other/c')), false)
    const keys: string[] = []
    for await (const k of ds.queryKeys({ prefix: '/peers' })) keys.push(k.toString())
    assert.deepEqual(keys, ['/peers/a', '/peers/d'])
    assert.equal(db.integrityCheck(), 'ok')
    db.close()
  })

  it('throws NotFoundError for a missing key', async () => {
    const db = openDatabase(join(await tempDir(), 'kith.db'))
    const ds = new SqliteDatastore(db)
    assert.throws(() => ds.get(new Key('/missing')), { name: 'NotFoundError' })
    db.close()
  })

  it('rolls back a transaction that throws', async () => {
    const db = openDatabase(join(await tempDir(), 'kith.db'))
    const ds = new SqliteDatastore(db)
    assert.throws(() =>
      db.transaction(() => {
        ds.put(new Key('/x'), bytes('1'))
        throw new Error('boom')
      }),
    )
    assert.equal(ds.has(new Key('/x')), false)
    db.close()
  })
})
