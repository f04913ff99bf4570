import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export interface OpenApiInfo {
  readonly title: string;
  readonly description: string;
  readonly version: string;
}

/** The Authorize dialog's OAuth2 client-credentials login, against the identity provider's token endpoint. */
export interface OpenApiClientCredentials {
  readonly tokenUrl: string;
  /** The resource indicator (RFC 8707) tokens are requested for: Swagger UI cannot send one, the page adds it. */
  readonly resource: string;
  /** Scopes an app may request this way, with what they grant. */
  readonly scopes: Readonly<Record<string, string>>;
  /** The bearer scheme whose operations also accept a token from this flow. */
  readonly bearerScheme: string;
}

const CLIENT_CREDENTIALS_SCHEME = 'logto-client-credentials';

export function buildOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion(info.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Logto access token' }, 'logto')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Machine token (Ed25519)' }, 'machine')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * The document with an OAuth2 client-credentials scheme beside the bearer one: every operation that accepts the
 * bearer scheme accepts it too (a requirement of its own, so either will do). It names an installation's token
 * endpoint, so it is added where the document is served, never to the committed openapi.json.
 */
function withClientCredentials(document: OpenAPIObject, login: OpenApiClientCredentials): OpenAPIObject {
  const served = structuredClone(document);
  served.components = {
    ...served.components,
    securitySchemes: {
      ...served.components?.securitySchemes,
      [CLIENT_CREDENTIALS_SCHEME]: {
        type: 'oauth2',
        description: `Client credentials of a machine-to-machine app, for this API's resource ${login.resource}; tenant scopes need an organization-scoped token (docs/operators.md), pasted into the bearer scheme`,
        flows: { clientCredentials: { tokenUrl: login.tokenUrl, scopes: { ...login.scopes } } },
      },
    },
  };
  for (const path of Object.values(served.paths)) {
    for (const operation of [path.get, path.put, path.post, path.delete, path.options, path.head, path.patch, path.trace]) {
      if (operation?.security?.some((requirement) => login.bearerScheme in requirement)) {
        operation.security.push({ [CLIENT_CREDENTIALS_SCHEME]: [] });
      }
    }
  }
  return served;
}

interface SwaggerRequest {
  url: string;
  body?: unknown;
}

/**
 * Swagger UI's request interceptor: adds `resource` to the client-credentials token request, which Swagger UI
 * sends without one (Logto then issues no token for this API). It runs in the browser, so it is self-contained
 * and reads its target from the UI's configuration (`clientCredentialsResource`).
 */
function addResourceToTokenRequest(request: SwaggerRequest): SwaggerRequest {
  const ui = (globalThis as { ui?: { getConfigs(): { clientCredentialsResource?: { tokenUrl: string; resource: string } } } }).ui;
  const target = ui?.getConfigs().clientCredentialsResource;
  if (
    target !== undefined &&
    request.url.split('?')[0] === target.tokenUrl &&
    typeof request.body === 'string' &&
    !/(^|&)resource=/.test(request.body)
  ) {
    request.body = `${request.body}&resource=${encodeURIComponent(target.resource)}`;
  }
  return request;
}

/** UI at /api/docs, JSON at /api/openapi.json; with `login`, Authorize also offers the client-credentials flow. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject, login?: OpenApiClientCredentials): void {
  SwaggerModule.setup('api/docs', app, login === undefined ? document : withClientCredentials(document, login), {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
    useGlobalPrefix: false,
    swaggerOptions:
      login === undefined
        ? undefined
        : {
            clientCredentialsResource: { tokenUrl: login.tokenUrl, resource: login.resource },
            requestInterceptor: addResourceToTokenRequest,
          },
  });
}
