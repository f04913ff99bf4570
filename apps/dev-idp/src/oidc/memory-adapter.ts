import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * oidc-provider storage, in memory for the process lifetime (Logto keeps the same rows in its
 * `oidc_model_instances` table, core src/oidc/adapter.ts). Clients come from `findClient` (apps registered through
 * the harness or the config file, and the Management API's interactive applications), asked at every lookup so
 * apps can be added while running. Everything else (sessions, interactions, authorization codes, grants, refresh
 * tokens) lives in one store shared by every provider a rotation builds, so a signing-key rotation keeps signed-in
 * users signed in, as in Logto.
 */
export function createAdapterFactory(findClient: (clientId: string) => AdapterPayload | undefined, store: ModelStore): (modelName: string) => Adapter {
  return (modelName) => (modelName === 'Client' ? new ClientAdapter(findClient) : new MemoryAdapter(modelName, store));
}

interface StoredModel {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined: no expiry. */
  expiresAt: number | undefined;
}

/** The artifacts of every model, keyed by `<model>:<id>`; expired entries are dropped when read or swept. */
export class ModelStore {
  private readonly entries = new Map<string, StoredModel>();
  /** `<model>:<uid>` → id (sessions are found by their uid). */
  private readonly byUid = new Map<string, string>();
  /** grantId → keys of the artifacts issued under it (revoked together). */
  private readonly byGrant = new Map<string, Set<string>>();

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, id: string, payload: AdapterPayload, expiresInSeconds: number): void {
    const key = `${model}:${id}`;
    this.sweep();
    this.entries.set(key, { payload, expiresAt: expiresInSeconds > 0 ? Date.now() + expiresInSeconds * 1000 : undefined });
    if (typeof payload.uid === 'string') {
      this.byUid.set(`${model}:${payload.uid}`, id);
    }
    if (typeof payload.grantId === 'string') {
      const keys = this.byGrant.get(payload.grantId) ?? new Set<string>();
      keys.add(key);
      this.byGrant.set(payload.grantId, keys);
    }
  }

  idByUid(model: string, uid: string): string | undefined {
    return this.byUid.get(`${model}:${uid}`);
  }

  delete(key: string): void {
    const payload = this.entries.get(key)?.payload;
    this.entries.delete(key);
    if (payload && typeof payload.uid === 'string') {
      this.byUid.delete(`${key.slice(0, key.indexOf(':'))}:${payload.uid}`);
    }
  }

  /**
   * Drops every artifact of `model` issued to the account, as Logto's `revokeInstanceByUserId` deletes the
   * `oidc_model_instances` rows whose payload's `accountId` is the user (core src/queries/oidc-model-instance.ts).
   */
  revokeByAccount(model: string, accountId: string): void {
    for (const [key, entry] of this.entries) {
      if (key.startsWith(`${model}:`) && entry.payload.accountId === accountId) {
        this.delete(key);
      }
    }
  }

  revokeGrant(grantId: string): void {
    for (const key of this.byGrant.get(grantId) ?? []) {
      this.delete(key);
    }
    this.byGrant.delete(grantId);
  }

  /** Drops what expired, so a long-running dev IdP does not grow without bound. */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 60_000) {
      return;
    }
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
        this.delete(key);
      }
    }
  }

  private lastSweep = Date.now();
}

class MemoryAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: ModelStore,
  ) {}

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.store.set(this.model, id, payload, expiresIn);
    return Promise.resolve();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.store.get(`${this.model}:${id}`));
  }

  findByUserCode(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.store.idByUid(this.model, uid);
    return Promise.resolve(id === undefined ? undefined : this.store.get(`${this.model}:${id}`));
  }

  /** A consumed code or refresh token stays readable, marked, so oidc-provider detects its reuse. */
  consume(id: string): Promise<void> {
    const payload = this.store.get(`${this.model}:${id}`);
    if (payload) {
      payload.consumed = Math.floor(Date.now() / 1000);
    }
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    this.store.delete(`${this.model}:${id}`);
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    this.store.revokeGrant(grantId);
    return Promise.resolve();
  }
}

class ClientAdapter extends MemoryAdapter {
  constructor(findClient: (clientId: string) => AdapterPayload | undefined) {
    super('Client', new ModelStore());
    this.find = (id) => Promise.resolve(findClient(id));
  }
}
