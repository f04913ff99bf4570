import type { Adapter, AdapterPayload } from 'oidc-provider';

import type { AppRegistry } from './app-registry';

/**
 * oidc-provider storage. Clients come from the app registry. Nothing else needs storing: every token we issue is a
 * self-contained JWT and we serve no flow (login, refresh, introspection) that looks a stored artifact up again.
 */
export function createRegistryAdapterFactory(registry: AppRegistry): (modelName: string) => Adapter {
  return (modelName) => (modelName === 'Client' ? new ClientAdapter(registry) : new DiscardingAdapter());
}

const nothing = (): Promise<undefined> => Promise.resolve(undefined);

class DiscardingAdapter implements Adapter {
  upsert = nothing;
  find: (id: string) => Promise<AdapterPayload | undefined> = nothing;
  findByUserCode = nothing;
  findByUid = nothing;
  consume = nothing;
  destroy = nothing;
  revokeByGrantId = nothing;
}

class ClientAdapter extends DiscardingAdapter {
  constructor(registry: AppRegistry) {
    super();
    this.find = (id) => Promise.resolve(registry.clientMetadata(id));
  }
}
