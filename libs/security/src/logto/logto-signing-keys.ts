import { Inject, Injectable, Logger } from '@nestjs/common';
import { createPublicKey, KeyObject } from 'node:crypto';
import { JwksClient } from 'jwks-rsa';
import { logtoAuthConfig, LogtoAuthConfig } from './logto-auth.config';

interface CachedKey {
  // Parsed once: handing jsonwebtoken a PEM string would re-parse the key on every verification.
  readonly key: KeyObject;
  readonly fetchedAt: number;
}

// A kid we accept at all: Logto's are base64url thumbprints; this also keeps path tricks out.
const SANE_KID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Logto's signing keys by `kid`, from its JWKS (jwks-rsa). An unknown kid triggers a refetch,
 * rate-limited by jwks-rsa. Unlike jwks-rsa's own cache, keys already fetched stay usable for as
 * long as the JWKS endpoint is unreachable; once it answers again, keys it no longer lists are dropped.
 */
@Injectable()
export class LogtoSigningKeys {
  private readonly logger = new Logger(LogtoSigningKeys.name);
  private readonly client?: JwksClient;
  private readonly keys = new Map<string, CachedKey>();
  private refreshing?: Promise<void>;

  constructor(@Inject(logtoAuthConfig.KEY) private readonly config: LogtoAuthConfig) {
    if (config.jwksUri !== undefined) {
      this.client = new JwksClient({
        jwksUri: config.jwksUri,
        cache: false,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
        timeout: 5000,
      });
    }
  }

  /** The public key for `kid`, or undefined when Logto does not (or cannot be asked to) vouch for it. */
  async keyFor(kid: string): Promise<KeyObject | undefined> {
    if (this.client === undefined || !SANE_KID.test(kid)) {
      return undefined;
    }
    const cached = this.keys.get(kid);
    if (cached !== undefined) {
      if (Date.now() - cached.fetchedAt > this.config.jwksRefreshMs) {
        void this.refreshAll();
      }
      return this.keys.get(kid)?.key;
    }
    try {
      const key = await this.client.getSigningKey(kid);
      const publicKey = createPublicKey(key.getPublicKey());
      this.keys.set(kid, { key: publicKey, fetchedAt: Date.now() });
      return publicKey;
    } catch (error) {
      this.logger.debug(`no Logto signing key for kid ${kid}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /** Replaces the key set when the JWKS answers; keeps the last good set when it does not. */
  refreshAll(): Promise<void> {
    if (this.client === undefined) {
      return Promise.resolve();
    }
    const client = this.client;
    this.refreshing ??= (async () => {
      try {
        const keys = await client.getSigningKeys();
        const now = Date.now();
        const fresh = new Map(keys.map((key) => [key.kid, { key: createPublicKey(key.getPublicKey()), fetchedAt: now }]));
        this.keys.clear();
        for (const [kid, key] of fresh) {
          this.keys.set(kid, key);
        }
      } catch (error) {
        this.logger.warn(`Logto JWKS unreachable; keeping ${this.keys.size} known key(s): ${error instanceof Error ? error.message : String(error)}`);
        const now = Date.now();
        for (const [kid, key] of this.keys) {
          // Try again after a short pause rather than on every request.
          this.keys.set(kid, { ...key, fetchedAt: now - this.config.jwksRefreshMs + 30_000 });
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
