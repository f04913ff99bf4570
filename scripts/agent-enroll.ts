// npm run agent:enroll -- <api-base-url> [<bootstrap-token>] [--state-dir DIR] [--name NAME] [--environment ENV] [--print-token]
// Enrolls an agent the way docs/agent-enrollment/AgentEnrollment.java does, for scripts and local tries: the first run
// generates an Ed25519 key pair and registers it with the bootstrap token; later runs trade an assertion signed with
// that key for a fresh access token. The state directory has the Java client's layout, so either can take over.
import { createPrivateKey, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

const USAGE = `usage: npm run agent:enroll -- <api-base-url> [<bootstrap-token>] [options]
  <bootstrap-token>     needed for the first run only (or set CAMELEER_BOOTSTRAP_TOKEN)
  --state-dir DIR       the agent's key and registration (default .data/agent; the Java client's layout)
  --name NAME           the agent's name on registration (default agent-enroll)
  --environment ENV     the environment it runs in, e.g. prod
  --print-token         print only a fresh access token (TOKEN=$(npm run -s agent:enroll -- ... --print-token))
  -h, --help            this text
Prints {agentId, tenantId, registered, expiresIn} as JSON unless --print-token.
exit codes: 0 ok, 1 failure, 2 usage, 3 license required, 4 license limit reached, 5 bootstrap token refused,
            6 agent refused (disabled), 7 public key already registered, 8 tenant not active`;

/** The exit codes of the Java reference client, so scripts can treat both alike. */
const EXIT = {
  FAILED: 1,
  USAGE: 2,
  LICENSE_REQUIRED: 3,
  LICENSE_LIMIT_REACHED: 4,
  BOOTSTRAP_TOKEN_REFUSED: 5,
  AGENT_REFUSED: 6,
  KEY_ALREADY_REGISTERED: 7,
  TENANT_NOT_ACTIVE: 8,
} as const;

/** An expected end of the run: one line for the person running it, and an exit code. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Registration {
  readonly agentId: string;
  readonly tenantId: string;
  readonly assertionAudience: string;
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The server's problem code and detail, for the end of an error line. */
function server(answer: Answer): string {
  const { code, detail } = answer.body;
  return typeof code === 'string' ? ` (server: ${code}${typeof detail === 'string' ? `: ${detail}` : ''})` : '';
}

async function call(baseUrl: string, method: string, path: string, bearer?: string, body?: unknown): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new Exit(EXIT.FAILED, `${method} ${baseUrl}${path} failed: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = {};
  }
  const answer = { status: response.status, body: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {} };
  if (answer.status === 429 || answer.status >= 500) {
    throw new Exit(EXIT.FAILED, `${method} ${path} answered ${answer.status}; try again later${server(answer)}`);
  }
  return answer;
}

/** Written beside its place and moved there, so a crash never leaves half a file; the private key is 0600. */
function writeState(file: string, text: string, mode: number): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, file);
}

function loadOrCreateKey(stateDir: string): { privateKey: KeyObject; publicPem: string } {
  const keyFile = join(stateDir, 'agent.key.pem');
  const publicFile = join(stateDir, 'agent.pub.pem');
  if (existsSync(keyFile)) {
    return { privateKey: createPrivateKey(readFileSync(keyFile, 'utf8')), publicPem: readFileSync(publicFile, 'utf8') };
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  writeState(publicFile, publicPem, 0o644);
  writeState(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  return { privateKey, publicPem };
}

function loadRegistration(stateDir: string): Registration | undefined {
  const file = join(stateDir, 'agent.json');
  if (!existsSync(file)) {
    return undefined;
  }
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Registration>;
  if (typeof saved.agentId !== 'string' || typeof saved.tenantId !== 'string' || typeof saved.assertionAudience !== 'string') {
    throw new Exit(EXIT.FAILED, `${file} is not an agent registration`);
  }
  return { agentId: saved.agentId, tenantId: saved.tenantId, assertionAudience: saved.assertionAudience };
}

/** What a refused registration means, by the problem's code (the Java client's mapping). */
function registrationRefused(answer: Answer, stateDir: string): Exit {
  const code = answer.body.code;
  if (answer.status === 401) {
    return new Exit(EXIT.BOOTSTRAP_TOKEN_REFUSED, `the bootstrap token is expired, used up, revoked or not this platform's; ask for a new one${server(answer)}`);
  }
  if (code === 'LICENSE_REQUIRED') {
    return new Exit(EXIT.LICENSE_REQUIRED, `the tenant has no usable license; run again once one is issued${server(answer)}`);
  }
  if (code === 'LICENSE_LIMIT_REACHED') {
    return new Exit(EXIT.LICENSE_LIMIT_REACHED, `the tenant's license allows no more agents${server(answer)}`);
  }
  if (code === 'PUBLIC_KEY_REGISTERED') {
    return new Exit(EXIT.KEY_ALREADY_REGISTERED, `an agent already registered the key in ${stateDir}; enroll with a new --state-dir${server(answer)}`);
  }
  if (code === 'TENANT_NOT_ACTIVE' || answer.status === 404) {
    return new Exit(EXIT.TENANT_NOT_ACTIVE, `the tenant is not active${server(answer)}`);
  }
  return new Exit(answer.status === 400 ? EXIT.USAGE : EXIT.FAILED, `POST /api/agents/register answered ${answer.status}${server(answer)}`);
}

async function enroll(baseUrl: string, stateDir: string, bootstrapToken: string | undefined, profile: { name: string; environment?: string }) {
  const saved = loadRegistration(stateDir);
  if (saved === undefined && bootstrapToken === undefined) {
    throw new Exit(EXIT.USAGE, `no registration in ${stateDir}: the first run needs a bootstrap token\n${USAGE}`);
  }
  const { privateKey, publicPem } = loadOrCreateKey(stateDir);
  if (saved === undefined) {
    const answer = await call(baseUrl, 'POST', '/api/agents/register', bootstrapToken, { ...profile, publicKey: publicPem });
    if (answer.status !== 201) {
      throw registrationRefused(answer, stateDir);
    }
    const registration = answer.body as unknown as Registration & { accessToken: string; expiresIn: number };
    const { agentId, tenantId, assertionAudience } = registration;
    // A private JWK carries the public x beside d; only x is kept.
    const { x } = privateKey.export({ format: 'jwk' });
    const state = { agentId, tenantId, name: profile.name, assertionAudience, publicKey: { kty: 'OKP', crv: 'Ed25519', x } };
    writeState(join(stateDir, 'agent.json'), `${JSON.stringify(state)}\n`, 0o644);
    return { agentId, tenantId, registered: true, accessToken: registration.accessToken, expiresIn: registration.expiresIn };
  }
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(saved.agentId)
    .setSubject(saved.agentId)
    .setAudience(saved.assertionAudience)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(privateKey);
  const answer = await call(baseUrl, 'POST', '/api/agents/token', undefined, { assertion });
  if (answer.status === 401) {
    throw new Exit(EXIT.AGENT_REFUSED, `the assertion was refused: the agent is disabled or deleted, its tenant is not active, or this clock is off${server(answer)}`);
  }
  if (answer.status !== 200) {
    throw new Exit(EXIT.FAILED, `POST /api/agents/token answered ${answer.status}${server(answer)}`);
  }
  return { agentId: saved.agentId, tenantId: saved.tenantId, registered: false, accessToken: String(answer.body.accessToken), expiresIn: Number(answer.body.expiresIn) };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'state-dir': { type: 'string', default: join('.data', 'agent') },
      name: { type: 'string', default: 'agent-enroll' },
      environment: { type: 'string' },
      'print-token': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [rawUrl, positionalToken, ...extra] = positionals;
  const baseUrl = rawUrl?.replace(/\/+$/, '');
  if (baseUrl === undefined || extra.length > 0 || !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(baseUrl)) {
    throw new Exit(EXIT.USAGE, baseUrl === undefined || extra.length > 0 ? USAGE : `the API base URL must be http(s)://host[:port][/path], not ${baseUrl}\n${USAGE}`);
  }
  const bootstrapToken = (positionalToken ?? process.env.CAMELEER_BOOTSTRAP_TOKEN)?.trim() || undefined;
  const profile = { name: values.name, ...(values.environment === undefined ? {} : { environment: values.environment }) };
  const { accessToken, ...summary } = await enroll(baseUrl, values['state-dir'], bootstrapToken, profile);
  process.stdout.write(values['print-token'] ? `${accessToken}\n` : `${JSON.stringify(summary)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof Exit) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = error.code;
    } else if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      process.exitCode = EXIT.USAGE;
    } else {
      process.stderr.write(`agent:enroll failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT.FAILED;
    }
  },
);
