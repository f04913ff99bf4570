import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { createPublicKey, KeyObject } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import { TokenRejected } from '../tokens/token-rejected';
import { logtoAuthConfig, LogtoAuthConfig } from './logto-auth.config';

interface SigningKey {
  readonly key: KeyObject;
  /** The JWK's `alg`, when it names one: the key then verifies only that algorithm. */
  readonly alg?: string;
}

// A kid we accept at all: Logto's are base64url thumbprints; this also keeps path tricks out.
const SANE_KID = /^[A-Za-z0-9_-]{1,128}$/;
const FETCH_TIMEOUT_MS = 5_000;
/** After a failed fetch (Logto down at boot, an outage), the next try comes sooner than a routine refresh. */
const RETRY_AFTER_FAILURE_MS = 10_000;

/**
 * Logto's signing keys by `kid`: the one JWKS client. The key set is fetched at boot and refreshed in
 * the background every LOGTO_JWKS_REFRESH_MS; a failed fetch keeps the last good set (and retries
 * soon). A `kid` not in the set (a key rotation) triggers one refetch, single-flight, at most once per
 * LOGTO_JWKS_REFETCH_COOLDOWN_MS: a flood of made-up kids costs Logto one request per cooldown and
 * never exhausts a budget, so a genuinely new key is picked up within a cooldown.
 */
@Injectable()
export class LogtoJwks implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogtoJwks.name);
  private keys = new Map<string, SigningKey>();
  private fetching?: Promise<boolean>;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(@Inject(logtoAuthConfig.KEY) private readonly config: LogtoAuthConfig) {}

  onApplicationBootstrap(): void {
    // Not awaited: an unreachable Logto must not fail the boot; the first tokens wait for this fetch.
    this.refreshNow();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** For jose's jwtVerify: the key the token's header names; TokenRejected `unknown_key` when Logto does not vouch for it. */
  readonly resolveKey: JWTVerifyGetKey = async (header) => {
    const { kid, alg } = header;
    if (typeof kid !== 'string' || !SANE_KID.test(kid)) {
      throw new TokenRejected('unknown_key');
    }
    const known = this.keys.get(kid) ?? (await this.refetchFor(kid));
    if (known === undefined || (known.alg !== undefined && known.alg !== alg)) {
      throw new TokenRejected('unknown_key');
    }
    return known.key;
  };

  private async refetchFor(kid: string): Promise<SigningKey | undefined> {
    // Within the cooldown only a fetch already under way is waited for.
    const pending = this.fetching ?? (Date.now() - this.lastFetchAt >= this.config.jwksRefetchCooldownMs ? this.fetch() : undefined);
    if (pending !== undefined) {
      await pending;
    }
    return this.keys.get(kid);
  }

  private refreshNow(): void {
    if (this.config.jwksUri === undefined || this.stopped) {
      return;
    }
    void this.fetch().then((ok) => {
      if (!this.stopped) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.refreshNow(), ok ? this.config.jwksRefreshMs : Math.min(this.config.jwksRefreshMs, RETRY_AFTER_FAILURE_MS));
        this.timer.unref();
      }
    });
  }

  /** One fetch at a time; resolves true when the key set was replaced, false when the last good one was kept. */
  private fetch(): Promise<boolean> {
    const uri = this.config.jwksUri;
    if (uri === undefined) {
      return Promise.resolve(false);
    }
    this.fetching ??= this.load(uri).finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async load(uri: string): Promise<boolean> {
    this.lastFetchAt = Date.now();
    try {
      const response = await fetch(uri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      const keys = signingKeysOf(await response.json());
      if (keys.size === 0) {
        throw new Error('no usable signing key in the key set');
      }
      this.keys = keys;
      return true;
    } catch (error) {
      this.logger.warn(`Logto JWKS not usable; keeping ${this.keys.size} known key(s): ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}

/** The public signing keys of a JWK Set; entries that are not (private members, other uses, unparsable) are skipped. */
function signingKeysOf(body: unknown): Map<string, SigningKey> {
  const entries = typeof body === 'object' && body !== null && 'keys' in body && Array.isArray(body.keys) ? (body.keys as unknown[]) : [];
  const keys = new Map<string, SigningKey>();
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) {
      continue;
    }
    const jwk = entry as Record<string, unknown>;
    const { kid, use, alg } = jwk;
    if (typeof kid !== 'string' || !SANE_KID.test(kid) || (use !== undefined && use !== 'sig') || 'd' in jwk || !['EC', 'RSA', 'OKP'].includes(String(jwk.kty))) {
      continue;
    }
    try {
      keys.set(kid, { key: createPublicKey({ key: jwk, format: 'jwk' }), alg: typeof alg === 'string' ? alg : undefined });
    } catch {
      // Not a key this runtime can read: as if it were not listed.
    }
  }
  return keys;
}
