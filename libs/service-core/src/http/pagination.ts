import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 100;

/** `?page=&pageSize=` for every list endpoint; extend it with the list's own filters. */
export class PageQuery {
  /** 1-based page number. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000)
  page: number = 1;

  /** Items per page, at most 100. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE)
  pageSize: number = 20;

  get offset(): number {
    return (this.page - 1) * this.pageSize;
  }
}

/** The one list shape: `{items, total, page, pageSize}`. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

export function toPage<T>(items: readonly T[], total: number, query: PageQuery): Page<T> {
  return { items, total, page: query.page, pageSize: query.pageSize };
}

/** For OpenAPI: a concrete page class per item type. */
export function PageOf<T>(itemType: new (...args: never[]) => T) {
  class PageOfItems {
    @ApiProperty({ type: itemType, isArray: true })
    items!: T[];
    @ApiProperty()
    total!: number;
    @ApiProperty()
    page!: number;
    @ApiProperty()
    pageSize!: number;
  }
  Object.defineProperty(PageOfItems, 'name', { value: `PageOf${itemType.name}` });
  return PageOfItems;
}
