import { EntityManager } from 'typeorm';
import { Tenant } from './tenant.entity';
import { TenantRetirement, TenantRetirementParticipant } from './tenant-retirement';

function participant(name: string, calls: string[], afterCommit?: () => void): TenantRetirementParticipant {
  return {
    name,
    retire: () => {
      calls.push(`retire ${name}`);
      return Promise.resolve(afterCommit);
    },
    purge: () => {
      calls.push(`purge ${name}`);
      return Promise.resolve();
    },
    describeStopped: () => Promise.resolve(name === 'quiet' ? undefined : { kind: name, count: 1, action: `undo ${name}` }),
  };
}

describe('TenantRetirement', () => {
  const tenant = { id: 't1' } as Tenant;
  const tx = {} as EntityManager;
  const by = { actor: 'operator:user:op' };

  it('runs the participants in the order they registered and collects what they leave for after the commit', async () => {
    const calls: string[] = [];
    const retirement = new TenantRetirement();
    const notify = jest.fn();
    retirement.register(participant('licensing', calls));
    retirement.register(participant('agents', calls, notify));
    const after = await retirement.retire(tenant, by, tx);
    expect(calls).toEqual(['retire licensing', 'retire agents']);
    expect(after).toEqual([notify]);
    expect(notify).not.toHaveBeenCalled();
  });

  it('lists what stays stopped, leaving out participants with nothing to say', async () => {
    const retirement = new TenantRetirement();
    retirement.register(participant('licensing', []));
    retirement.register(participant('quiet', []));
    expect(await retirement.describeStopped(tenant, tx)).toEqual([{ kind: 'licensing', count: 1, action: 'undo licensing' }]);
  });

  it('refuses two participants of one name: the name is the purge step recorded in the row', () => {
    const retirement = new TenantRetirement();
    retirement.register(participant('agents', []));
    expect(() => retirement.register(participant('agents', []))).toThrow(/registered already/);
  });
});
