// Type-level: `pnpm typecheck` (tsc over src and test) fails when a row declared as an interface
// is rejected. The runtime assertions only keep the file a real test.
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { SqlConnection } from '../src/sql-connection.js'
import { tableFromRows } from '../src/table/builder.js'
import type { Column, RowTable } from '../src/table/table.js'

/** Declared the way most TypeScript users declare rows: an interface, with no index signature. */
interface Track {
  track_id: number
  name: string
}

function tracks(): RowTable<Track> {
  return tableFromRows([
    { track_id: 1, name: 'One' },
    { track_id: 2, name: 'Two' },
  ]) as unknown as RowTable<Track>
}

// Never called: checks that query() and stream() accept an interface as the row type.
async function readTracks(conn: SqlConnection): Promise<void> {
  const t = await conn.query<Track>('select track_id, name from tracks')
  expectTypeOf(t).toEqualTypeOf<RowTable<Track>>()
  for await (const chunk of conn.stream<Track>('select track_id, name from tracks')) {
    expectTypeOf(chunk).toEqualTypeOf<RowTable<Track>>()
  }
}

describe('rows declared as interfaces', () => {
  it('type query() and stream() results', () => {
    expect(typeof readTracks).toBe('function')
  })

  it('type iteration, get() and getChild()', () => {
    const t = tracks()
    const names: string[] = []
    for (const row of t) {
      expectTypeOf(row).toEqualTypeOf<Track>()
      names.push(row.name)
    }
    expectTypeOf(t.get(0)).toEqualTypeOf<Track | null>()
    expectTypeOf(t.getChild('track_id')).toEqualTypeOf<Column<number> | null>()
    expect(names).toEqual(['One', 'Two'])
    expect(t.getChild('track_id')?.toArray()).toEqual([1, 2])
  })

  it('type select() as a Pick of the interface', () => {
    const picked = tracks().select('name')
    expectTypeOf(picked).toEqualTypeOf<RowTable<Pick<Track, 'name'>>>()
    expect(picked.toArray()).toEqual([{ name: 'One' }, { name: 'Two' }])
  })
})
