import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditTrail, ChangedBy, DATA_PLANE_TENANT, MachineTokenService } from '@app/security';

/** A minted data-plane token: shown once, never stored (the audit trail keeps its id). */
export interface MintedDataPlaneToken {
  readonly token: string;
  readonly tokenId: string;
  readonly expiresAt: Date;
}

/**
 * Data-plane tokens: machine tokens (kind `data-plane`) that read the event feed and nothing else, minted by an
 * operator for a data-plane service. They are not revocable before expiry: keep the lifetime short and re-mint.
 */
@Injectable()
export class DataPlaneTokens {
  constructor(
    private readonly machine: MachineTokenService,
    private readonly audit: AuditTrail,
  ) {}

  async mint(name: string, ttlSeconds: number, by: ChangedBy): Promise<MintedDataPlaneToken> {
    const signed = await this.machine.sign('data-plane', { sub: `data-plane:${name}`, tenantId: DATA_PLANE_TENANT, ttlSeconds, jti: randomUUID() });
    await this.audit.record({ tenantId: null, actor: by.actor, action: 'data_plane_token.minted', targetId: signed.jti, sourceIp: by.sourceIp });
    return { token: signed.token, tokenId: signed.jti, expiresAt: signed.expiresAt };
  }
}
