import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from '../constants';
import { generateStandardId } from '../ids';

const TENANT_ID = 'default';

/** Logto's `Scope` entity (a permission of an API resource). */
export interface ResourceScope {
  tenantId: string;
  id: string;
  resourceId: string;
  name: string;
  description: string | null;
  createdAt: number;
}

/** Logto's `Resource` entity (an API resource with its indicator). */
export interface ApiResource {
  tenantId: string;
  id: string;
  name: string;
  indicator: string;
  isDefault: boolean;
  accessTokenTtl: number;
}

interface CatalogEntry {
  resource: ApiResource;
  scopes: Map<string, ResourceScope>;
}

export interface ResourceDefinitionInput {
  name?: string;
  scopes?: readonly string[];
  accessTokenTtl?: number;
  id?: string;
}

/**
 * The API resources the provider knows, with their scopes. Token requests for an unknown indicator fail with
 * `invalid_target` as in Logto; organization roles reference these scopes by ID through the Management API.
 */
export class ResourceCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  /** Adds the resource if new and merges in any scopes not yet known; returns the resource. */
  define(indicator: string, input: ResourceDefinitionInput = {}): ApiResource {
    let entry = this.entries.get(indicator);
    if (!entry) {
      entry = {
        resource: {
          tenantId: TENANT_ID,
          id: input.id ?? generateStandardId(),
          name: input.name ?? indicator,
          indicator,
          isDefault: false,
          accessTokenTtl: input.accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
        },
        scopes: new Map(),
      };
      this.entries.set(indicator, entry);
    }
    for (const name of input.scopes ?? []) {
      addScopeTo(entry, name, null);
    }
    return entry.resource;
  }

  /** Adds a scope to a known resource (or returns the existing one of that name). */
  addScope(indicator: string, name: string, description: string | null): ResourceScope {
    const entry = this.entries.get(indicator);
    if (!entry) {
      throw new Error(`Unknown resource "${indicator}"`);
    }
    return addScopeTo(entry, name, description);
  }

  /** Changes a resource's name or token TTL (the indicator is fixed once created, as in Logto). */
  update(id: string, patch: { name?: string; accessTokenTtl?: number }): ApiResource | undefined {
    const entry = this.entryById(id);
    if (!entry) {
      return undefined;
    }
    entry.resource = { ...entry.resource, ...patch };
    return entry.resource;
  }

  /** Renames a scope or changes its description; undefined when the scope is not one of the resource's. */
  updateScope(resourceId: string, scopeId: string, patch: { name?: string; description?: string | null }): ResourceScope | undefined {
    const entry = this.entryById(resourceId);
    const current = entry && [...entry.scopes.values()].find((scope) => scope.id === scopeId);
    if (!entry || !current) {
      return undefined;
    }
    const updated: ResourceScope = { ...current, ...patch };
    // Scopes are keyed by name: rebuild the map to keep the insertion order under the new name.
    entry.scopes = new Map([...entry.scopes.values()].map((scope) => (scope.id === scopeId ? updated : scope)).map((scope) => [scope.name, scope]));
    return updated;
  }

  findByIndicator(indicator: string): ApiResource | undefined {
    return this.entries.get(indicator)?.resource;
  }

  findById(id: string): ApiResource | undefined {
    return this.entryById(id)?.resource;
  }

  list(): ApiResource[] {
    return [...this.entries.values()].map((entry) => entry.resource);
  }

  scopesOf(resourceId: string): ResourceScope[] {
    return [...(this.entryById(resourceId)?.scopes.values() ?? [])];
  }

  findScopeById(scopeId: string): ResourceScope | undefined {
    for (const entry of this.entries.values()) {
      for (const scope of entry.scopes.values()) {
        if (scope.id === scopeId) {
          return scope;
        }
      }
    }
    return undefined;
  }

  /** Every resource with its scopes, for the data dir (management/state-file.ts). */
  snapshot(): { resource: ApiResource; scopes: ResourceScope[] }[] {
    return [...this.entries.values()].map((entry) => ({ resource: entry.resource, scopes: [...entry.scopes.values()] }));
  }

  /** Puts back resources and scopes saved by snapshot(), with their IDs (roles refer to scopes by ID). */
  restore(saved: readonly { resource: ApiResource; scopes: readonly ResourceScope[] }[]): void {
    for (const { resource, scopes } of saved) {
      this.entries.set(resource.indicator, { resource, scopes: new Map(scopes.map((scope) => [scope.name, scope])) });
    }
  }

  private entryById(id: string): CatalogEntry | undefined {
    return [...this.entries.values()].find((entry) => entry.resource.id === id);
  }
}

function addScopeTo(entry: CatalogEntry, name: string, description: string | null): ResourceScope {
  let scope = entry.scopes.get(name);
  if (!scope) {
    scope = {
      tenantId: TENANT_ID,
      id: generateStandardId(),
      resourceId: entry.resource.id,
      name,
      description,
      createdAt: Date.now(),
    };
    entry.scopes.set(name, scope);
  }
  return scope;
}
