import { runInNewContext } from 'node:vm';
import request from 'supertest';
import { type DevIdp, startDevIdp } from '../support/dev-idp';
import { startTestApp, type TestApp } from '../support/test-app';

interface SwaggerOptions {
  clientCredentialsResource?: { tokenUrl: string; resource: string };
  requestInterceptor(request: { url: string; body?: unknown }): { url: string; body?: unknown };
}

/**
 * The API docs' Authorize dialog offers Logto's client-credentials flow (docs/operators.md): the served document
 * names the installation's token endpoint, and the page's own script adds `resource`, which Swagger UI leaves out.
 * The page script is evaluated as a browser would (the function text Nest serves), and the token it gets from the
 * dev IdP is accepted by the API.
 */
describe('API docs: OAuth2 client credentials at Logto', () => {
  let idp: DevIdp;
  let testApp: TestApp;

  beforeAll(async () => {
    idp = await startDevIdp();
    testApp = await startTestApp({ LOGTO_ENDPOINT: idp.endpoint, LOGTO_API_RESOURCE: idp.apiResource });
  });
  afterAll(async () => {
    await testApp?.close();
    await idp?.stop();
  });

  it('serves a client-credentials scheme at Logto token endpoint, accepted wherever the Logto bearer token is', async () => {
    const document = (await request(testApp.server).get('/api/openapi.json').expect(200)).body;
    expect(document.components.securitySchemes['logto-client-credentials']).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { tokenUrl: `${idp.endpoint}/oidc/token`, scopes: { 'platform:read': expect.any(String), 'platform:write': expect.any(String) } } },
    });
    expect(document.components.securitySchemes.logto).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/api/tenants'].get.security).toEqual([{ logto: [] }, { 'logto-client-credentials': [] }]);
    expect(document.paths['/api/agents/register'].post.security).toEqual([{ machine: [] }]);
  });

  it("gets, through the page's request interceptor, a token for this API that the API accepts", async () => {
    const script = (await request(testApp.server).get('/api/docs/swagger-ui-init.js').expect(200)).text;
    const browser: Record<string, unknown> = {};
    let options: SwaggerOptions | undefined;
    browser.window = browser;
    browser.location = { search: '', origin: 'http://127.0.0.1' };
    browser.SwaggerUIBundle = Object.assign(
      (given: SwaggerOptions) => {
        options = given;
        return { getConfigs: () => given, initOAuth: () => undefined };
      },
      { presets: { apis: {} }, plugins: { DownloadUrl: {} } },
    );
    browser.SwaggerUIStandalonePreset = {};
    runInNewContext(`${script}\nwindow.onload();`, browser);
    expect(options?.clientCredentialsResource).toEqual({ tokenUrl: `${idp.endpoint}/oidc/token`, resource: idp.apiResource });

    // What Swagger UI sends for the flow: Basic credentials and grant_type + scope, no resource.
    const app = await idp.registerApp({ scopesByResource: { [idp.apiResource]: ['platform:read'] } });
    const intercepted = options!.requestInterceptor({ url: `${idp.endpoint}/oidc/token`, body: 'grant_type=client_credentials&scope=platform%3Aread' });
    expect(intercepted.body).toBe(`grant_type=client_credentials&scope=platform%3Aread&resource=${encodeURIComponent(idp.apiResource)}`);
    const response = await fetch(intercepted.url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: intercepted.body as string,
    });
    expect(response.status).toBe(200);
    const { access_token: token } = (await response.json()) as { access_token: string };
    const me = await request(testApp.server).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
    expect(me.body).toMatchObject({ kind: 'app', clientId: app.clientId, scopes: ['platform:read'], operator: true });

    // Other requests, and a token request that names its resource, pass unchanged.
    expect(options!.requestInterceptor({ url: 'http://127.0.0.1/api/tenants', body: 'x=1' }).body).toBe('x=1');
    expect(options!.requestInterceptor({ url: `${idp.endpoint}/oidc/token`, body: 'resource=other' }).body).toBe('resource=other');
  });

  it('offers no client-credentials login while no Logto is configured', async () => {
    const bare = await startTestApp();
    try {
      const document = (await request(bare.server).get('/api/openapi.json').expect(200)).body;
      expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['logto', 'machine']);
      expect(document.paths['/api/tenants'].get.security).toEqual([{ logto: [] }]);
    } finally {
      await bare.close();
    }
  });
});
