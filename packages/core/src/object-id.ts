const objectIds = new WeakMap<object, number>()
let nextObjectId = 1

/**
 * A process-wide id for an object or function, stable for its lifetime. Keys use it where the
 * thing itself, not its content, is what counts: a function, a store, a driver's type parser.
 */
export function objectId(o: object): string {
  let id = objectIds.get(o)
  if (id === undefined) {
    id = nextObjectId++
    objectIds.set(o, id)
  }
  return `#${id}`
}
