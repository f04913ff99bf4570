import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Entities from rows of raw SQL (`SELECT *`, `… RETURNING *`), mapped by the entity's own metadata: each
 * column's database name to its property, through the driver's value preparation. The entity stays the one
 * description of the table; raw SQL is for what repositories cannot say (locks, SKIP LOCKED, RETURNING).
 */
export function hydrate<E extends ObjectLiteral>(source: DataSource | EntityManager, target: EntityTarget<E>, rows: readonly ObjectLiteral[]): E[] {
  const connection = source instanceof DataSource ? source : source.connection;
  const metadata = connection.getMetadata(target);
  return rows.map((row) => {
    const entity = metadata.create() as E;
    for (const column of metadata.columns) {
      if (column.databaseName in row) {
        column.setEntityValue(entity, connection.driver.prepareHydratedValue(row[column.databaseName], column));
      }
    }
    return entity;
  });
}

/**
 * Runs raw SQL returning rows of `target`'s table and hydrates them. UPDATE/DELETE … RETURNING come back from
 * the postgres driver as `[rows, affected]`; SELECT and INSERT as the rows themselves.
 */
export async function queryEntities<E extends ObjectLiteral>(
  source: DataSource | EntityManager,
  target: EntityTarget<E>,
  sql: string,
  parameters: readonly unknown[] = [],
): Promise<E[]> {
  return hydrate(source, target, returnedRows<ObjectLiteral>(await source.query(sql, [...parameters])));
}

/** The rows of a raw query's result: UPDATE/DELETE … RETURNING come as `[rows, affected]`, SELECT and INSERT as the rows. */
export function returnedRows<T>(result: T[] | [T[], number]): T[] {
  return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : (result as T[]);
}
