import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { applyHttpDefaults, createHttpAdapter } from './http-platform';
import { parseTrustedProxies } from './source-ip';

@Controller('page')
class PageController {
  @Get()
  page(): string {
    return 'ok';
  }
}

@Module({ controllers: [PageController] })
class PageModule {}

const UPGRADE = /(^|;)\s*upgrade-insecure-requests(;|$)/;

describe('the CSP upgrade-insecure-requests directive', () => {
  const apps: NestFastifyApplication[] = [];

  async function appFor(production: boolean): Promise<NestFastifyApplication> {
    const app = await NestFactory.create<NestFastifyApplication>(PageModule, createHttpAdapter({ bodyLimitBytes: 1024 }), { logger: false, bodyParser: false });
    applyHttpDefaults(app, { production, corsOrigins: [], trustedProxies: parseTrustedProxies('').proxies });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    apps.push(app);
    return app;
  }

  async function csp(app: NestFastifyApplication, headers: Record<string, string> = {}): Promise<string> {
    const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/page', headers });
    expect(response.statusCode).toBe(200);
    return String(response.headers['content-security-policy']);
  }

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it('is left out for a client on plain HTTP outside production, so the API docs load from any dev host', async () => {
    const app = await appFor(false);
    const plain = await csp(app);
    expect(plain).toContain("default-src 'self'");
    expect(plain).not.toMatch(UPGRADE);
    // Everything else is the same policy.
    expect(plain).toBe((await csp(app, { 'x-forwarded-proto': 'https' })).replace(UPGRADE, '$1').replace(/;$/, ''));
  });

  it('is sent outside production to a client that came over HTTPS (a proxy says so)', async () => {
    expect(await csp(await appFor(false), { 'x-forwarded-proto': 'https' })).toMatch(UPGRADE);
  });

  it('is always sent in production', async () => {
    const app = await appFor(true);
    expect(await csp(app)).toMatch(UPGRADE);
    expect(await csp(app, { 'x-forwarded-proto': 'http' })).toMatch(UPGRADE);
  });
});
