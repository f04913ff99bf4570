import { FindOptionsOrder, FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';
import { Page, PageQuery, toPage } from '../http/pagination';

export interface PageCriteria<E extends ObjectLiteral> {
  /** Conditions; an array means any of them (OR). */
  readonly where?: FindOptionsWhere<E> | FindOptionsWhere<E>[];
  /** A total order (end with a unique column), so pages neither overlap nor skip rows. */
  readonly order: FindOptionsOrder<E>;
}

/** One page of `repository`'s rows and the count of all that match, read side by side. */
export async function findPage<E extends ObjectLiteral>(repository: Repository<E>, query: PageQuery, criteria: PageCriteria<E>): Promise<Page<E>> {
  const [items, total] = await Promise.all([
    repository.find({ where: criteria.where, order: criteria.order, skip: query.offset, take: query.pageSize }),
    repository.count({ where: criteria.where }),
  ]);
  return toPage(items, total, query);
}
