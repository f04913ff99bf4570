import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { FieldError } from '../http/problem';

/** What one error code means on the wire. */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
}

/**
 * A lib's error codes and what each means over HTTP: the one place a code's status and title are
 * decided. The problem filter reads it, and so do the OpenAPI error descriptions (ApiErrors), so the
 * document cannot disagree with what is served. A code without a spec does not compile.
 */
export type ErrorCatalog<C extends string> = { readonly [K in C]: ErrorSpec };

export interface CodedErrorOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly errors?: readonly FieldError[];
  readonly cause?: unknown;
}

/**
 * What a lib's services throw: a code from the lib's catalog and a detail for the caller. Never an
 * HTTP exception: the status is the catalog's business, so background work (reconcilers, timers) can
 * throw and catch these without speaking HTTP. Each lib subclasses it once (TenantsError, …).
 */
export abstract class CodedError<C extends string = string> extends Error {
  abstract readonly catalog: ErrorCatalog<C>;
  readonly headers: Readonly<Record<string, string>>;
  readonly errors?: readonly FieldError[];

  constructor(
    readonly code: C,
    readonly detail: string,
    options: CodedErrorOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = new.target.name;
    this.headers = options.headers ?? {};
    this.errors = options.errors;
  }

  get spec(): ErrorSpec {
    return this.catalog[this.code];
  }
}

/**
 * OpenAPI responses for the codes a route can answer with, grouped by status from the catalog:
 * `@ApiErrors(TENANTS_ERRORS, 'SLUG_TAKEN', 'TENANT_NOT_ACTIVE')`.
 */
export function ApiErrors<C extends string>(catalog: ErrorCatalog<C>, ...codes: C[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, C[]>();
  for (const code of codes) {
    const status = catalog[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, grouped]) => ApiResponse({ status, description: describeCodes(catalog, grouped) })),
  );
}

function describeCodes<C extends string>(catalog: ErrorCatalog<C>, codes: readonly C[]): string {
  return codes.map((code) => `\`${code}\`: ${catalog[code].title}.`).join(' ');
}
