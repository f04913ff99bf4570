import { inspect } from 'node:util';
import { Test } from '@nestjs/testing';
import { ConfigValidationError, describeConfig, loadConfig, withConfigEnv } from '@app/service-core';
import { LogtoClientModule } from './logto-client.module';
import { logtoConfigSchema } from './logto.config';
import { LogtoManagementClient } from './logto-management.client';
import { LogtoReadinessCheck } from './logto.readiness';

describe('logto config', () => {
  it('defaults: nothing configured, Management API resource, 5 s timeout, 2 retries', () => {
    expect(loadConfig(logtoConfigSchema, {})).toEqual({
      endpoint: undefined,
      internalUrl: undefined,
      managementApiResource: 'https://default.logto.app/api',
      m2mAppId: undefined,
      m2mAppSecret: undefined,
      timeoutMs: 5000,
      retries: 2,
    });
  });

  it('reads every variable and trims trailing slashes from URLs', () => {
    expect(
      loadConfig(logtoConfigSchema, {
        LOGTO_ENDPOINT: 'https://auth.example.com/',
        LOGTO_INTERNAL_URL: 'http://logto:3001',
        LOGTO_MANAGEMENT_API_RESOURCE: 'https://tenant.logto.app/api',
        LOGTO_M2M_APP_ID: 'app',
        LOGTO_M2M_APP_SECRET: 's3cret',
        LOGTO_TIMEOUT_MS: '25000',
        LOGTO_RETRIES: '0',
      }),
    ).toEqual({
      endpoint: 'https://auth.example.com',
      internalUrl: 'http://logto:3001',
      managementApiResource: 'https://tenant.logto.app/api',
      m2mAppId: 'app',
      m2mAppSecret: 's3cret',
      timeoutMs: 25000,
      retries: 0,
    });
  });

  it.each([
    [{ LOGTO_ENDPOINT: 'not a url' }, 'LOGTO_ENDPOINT'],
    [{ LOGTO_INTERNAL_URL: 'ftp://logto' }, 'LOGTO_INTERNAL_URL'],
    [{ LOGTO_TIMEOUT_MS: '25001' }, 'LOGTO_TIMEOUT_MS'],
    [{ LOGTO_RETRIES: '-1' }, 'LOGTO_RETRIES'],
    [{ LOGTO_M2M_APP_ID: 'app' }, 'LOGTO_M2M_APP_SECRET'],
  ])('rejects %j', (env, key) => {
    expect(() => loadConfig(logtoConfigSchema, env)).toThrow(ConfigValidationError);
    expect(() => loadConfig(logtoConfigSchema, env)).toThrow(key);
  });

  it('masks the secret when described', () => {
    const described = describeConfig(logtoConfigSchema, { LOGTO_M2M_APP_ID: 'app', LOGTO_M2M_APP_SECRET: 's3cret' });
    expect(described.LOGTO_M2M_APP_SECRET).toBe('********');
    expect(described.LOGTO_M2M_APP_ID).toBe('app');
  });
});

describe('LogtoClientModule', () => {
  const compileOn = (env: Record<string, string>) => withConfigEnv(env, () => Test.createTestingModule({ imports: [LogtoClientModule] }).compile());

  it('provides an unconfigured client and the readiness check when Logto is not set up', async () => {
    const moduleRef = await compileOn({});
    expect(moduleRef.get(LogtoManagementClient).configured).toBe(false);
    await expect(moduleRef.get(LogtoReadinessCheck).check()).rejects.toMatchObject({
      causes: { logto: { status: 'down', reason: 'unconfigured' } },
    });
    await moduleRef.close();
  });

  it('provides a configured client from the environment', async () => {
    const moduleRef = await compileOn({
      LOGTO_ENDPOINT: 'https://auth.example.com',
      LOGTO_INTERNAL_URL: 'http://logto:3001/',
      LOGTO_M2M_APP_ID: 'app',
      LOGTO_M2M_APP_SECRET: 's3cret',
    });
    const client = moduleRef.get(LogtoManagementClient);
    expect(client.configured).toBe(true);
    expect(client.baseUrl).toBe('http://logto:3001');
    // Logging or inspecting the client never shows the secret (nor the Basic header built from it).
    const shown = inspect(client, { depth: 10, showHidden: true });
    expect(shown).not.toContain('s3cret');
    expect(shown).not.toContain(Buffer.from('app:s3cret').toString('base64'));
    await moduleRef.close();
  });
});
