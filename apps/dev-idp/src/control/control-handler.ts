import { isScopesByResource, isStringArray } from '../config/config-file';
import type { DevIdpCore } from '../dev-idp-core';
import { FAULT_KINDS, type Fault, type FaultInjector } from '../http/faults';
import type { ControlReply, ControlRequest, ControlResults } from './control-messages';

/** Executes one control request; never throws, every failure becomes `{ ok: false, error }`. */
export async function handleControlRequest(
  message: unknown,
  core: DevIdpCore,
  faults: FaultInjector,
): Promise<ControlReply | undefined> {
  if (!isRequestEnvelope(message)) {
    return undefined;
  }
  try {
    return { id: message.id, ok: true, result: await execute(parseRequest(message), core, faults) };
  } catch (error: unknown) {
    return { id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

async function execute(
  request: ControlRequest,
  { minter, registry, email }: DevIdpCore,
  faults: FaultInjector,
): Promise<ControlResults[ControlRequest['op']]> {
  switch (request.op) {
    case 'mintUserToken':
      return { token: await minter.mintUserToken(request) };
    case 'mintOrganizationToken':
      return { token: await minter.mintOrganizationToken(request) };
    case 'registerApp': {
      const { clientId, clientSecret } = registry.register(request);
      return { clientId, clientSecret };
    }
    case 'setFault':
      faults.set(request.fault);
      return {};
    case 'emails':
      return { emails: email.sent.filter((sent) => request.to === undefined || sent.to.toLowerCase() === request.to.toLowerCase()) };
    case 'setEmailConnector':
      email.enabled = request.enabled;
      return {};
  }
}

type Envelope = Record<string, unknown> & { id: number; op: string };

const isRequestEnvelope = (message: unknown): message is Envelope =>
  typeof message === 'object' &&
  message !== null &&
  typeof (message as Envelope).id === 'number' &&
  typeof (message as Envelope).op === 'string';

/** Checks the fields each op needs; the parent is our own harness, but a clear error beats a confusing token. */
function parseRequest(message: Envelope): ControlRequest {
  const fail = (expected: string): never => {
    throw new Error(`Invalid ${message.op} request: expected ${expected}`);
  };
  const optionalString = (key: string): boolean => message[key] === undefined || typeof message[key] === 'string';
  const optionalNumber = (key: string): boolean => message[key] === undefined || typeof message[key] === 'number';

  switch (message.op) {
    case 'mintUserToken':
      if (
        typeof message.sub !== 'string' ||
        typeof message.resource !== 'string' ||
        !isStringArray(message.scopes) ||
        !optionalString('organizationId') ||
        !optionalString('clientId') ||
        !optionalNumber('expiresIn')
      ) {
        fail('{ sub, resource, scopes: string[], organizationId?, expiresIn?, clientId? }');
      }
      return message as ControlRequest;
    case 'mintOrganizationToken':
      if (typeof message.sub !== 'string' || typeof message.organizationId !== 'string' || !isStringArray(message.scopes)) {
        fail('{ sub, organizationId, scopes: string[] }');
      }
      return message as ControlRequest;
    case 'registerApp':
      if (!isScopesByResource(message.scopesByResource) || !optionalString('clientId') || !optionalString('clientSecret')) {
        fail('{ clientId?, clientSecret?, scopesByResource: { [indicator]: string[] } }');
      }
      return message as ControlRequest;
    case 'setFault': {
      const fault = message.fault as Partial<Fault> | undefined;
      const status = fault?.status;
      if (
        typeof fault !== 'object' ||
        fault === null ||
        !FAULT_KINDS.includes(fault.kind as Fault['kind']) ||
        (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 499))
      ) {
        fail(`{ fault: { kind: ${FAULT_KINDS.join(' | ')}, delayMs?, target?, times?, status?: 400–499 } }`);
      }
      return message as ControlRequest;
    }
    case 'emails':
      if (!optionalString('to')) {
        fail('{ to?: string }');
      }
      return message as ControlRequest;
    case 'setEmailConnector':
      if (typeof message.enabled !== 'boolean') {
        fail('{ enabled: boolean }');
      }
      return message as ControlRequest;
    default:
      throw new Error(`Unknown op "${message.op}"`);
  }
}
