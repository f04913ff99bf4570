/* eslint-disable no-console -- wraps console.warn, the channel oidc-provider prints its warning on */
import type * as OidcProviderModule from 'oidc-provider';

/** Node's version as [major, minor]. */
function nodeVersion(): [number, number] {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return [major, minor];
}

/**
 * Loads oidc-provider without its "Unsupported runtime" warning on the Node versions cameleer-saas supports.
 *
 * Why that is safe: oidc-provider 9 prints the warning, once at load, on every runtime that is not an LTS line from
 * 22 ("Jod") up; it is its support policy, not a detected incompatibility. What it needs from Node is require(esm)
 * (Node >= 20.19, the floor in package.json's engines) and WebCrypto Ed25519/ECDSA, and the whole test suite
 * (including the Logto conformance suite) runs this dev IdP on Node 20 in CI. The dev IdP never runs in production
 * (the image runs Node 24 and carries no dev IdP). Below 20.19 the warning stays, as it should. Only that one line is
 * dropped, and only while the module loads.
 */
export function loadOidcProvider(): typeof OidcProviderModule {
  const [major, minor] = nodeVersion();
  const supported = major > 20 || (major === 20 && minor >= 19);
  const warn = console.warn;
  if (supported) {
    console.warn = (...args: unknown[]): void => {
      if (!String(args[0]).includes('oidc-provider WARNING: Unsupported runtime.')) {
        warn.apply(console, args);
      }
    };
  }
  try {
    // A require() (not an import) so that it runs after console.warn is wrapped; Node >= 20.19 serves ESM to it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('oidc-provider') as typeof OidcProviderModule;
  } finally {
    console.warn = warn;
  }
}

/**
 * oidc-provider's own refresh_token grant handler, bound as the provider binds it (helpers/initialize_app.js), so
 * a wrapper can add Logto's organization parameters around it (organization-refresh-grant.ts). oidc-provider has no
 * `exports` map, so its internal modules are reachable; Logto reaches the same internals for the same reason
 * (core src/oidc/oidc-provider-internals.js).
 */
export function loadRefreshTokenGrant(provider: OidcProviderModule.Provider): {
  handler: (ctx: OidcProviderModule.KoaContextWithOidc) => Promise<void>;
  parameters: ReadonlySet<string>;
} {
  loadOidcProvider();
  /* eslint-disable @typescript-eslint/no-require-imports -- see loadOidcProvider */
  const grant = require('oidc-provider/lib/actions/grants/refresh_token.js') as typeof import('oidc-provider/lib/actions/grants/refresh_token.js');
  const helpers = require('oidc-provider/lib/helpers/grants.js') as typeof import('oidc-provider/lib/helpers/grants.js');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const bound = Object.fromEntries(Object.entries(helpers).map(([name, helper]) => [name, helper.bind(undefined, provider)]));
  return { handler: (ctx) => grant.handler(provider, bound, ctx), parameters: grant.parameters };
}
