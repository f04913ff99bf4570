import { generateStandardShortId } from '../ids';
import {
  type Body,
  optionalBoolean,
  optionalObject,
  optionalString,
  requireBody,
  requiredString,
} from './input-guards';
import { type ManagementState, matchesSearch, type Organization, TENANT_ID } from './management-state';
import { paginate, parsePagination } from './pagination';
import { notExists, notFound } from './request-error';
import type { RouteTable } from './route-table';

/** `/organizations` CRUD, as core routes/organization/index.ts. */
export function addOrganizationRoutes(routes: RouteTable, state: ManagementState): void {
  routes.add('GET', '/organizations', ({ url }) => {
    const pageRequest = parsePagination(url.searchParams);
    const q = url.searchParams.get('q');
    // Logto searches organizations by ID and name only, never by customData.
    const found = [...state.organizations.values()].filter((org) => matchesSearch(q, [org.id, org.name]));
    return paginate(found, pageRequest, url);
  });

  routes.add('POST', '/organizations', ({ body }) => {
    const input = requireBody(body);
    const organization: Organization = {
      tenantId: TENANT_ID,
      id: generateStandardShortId(),
      name: requiredString(input, 'name', 128),
      description: optionalString(input, 'description') ?? null,
      customData: optionalObject(input, 'customData') ?? {},
      isMfaRequired: optionalBoolean(input, 'isMfaRequired') ?? false,
      color: optionalObject(input, 'color') ?? {},
      branding: optionalObject(input, 'branding') ?? {},
      customCss: optionalString(input, 'customCss', 1_000_000) ?? null,
      createdAt: Date.now(),
    };
    state.organizations.set(organization.id, organization);
    return { status: 201, body: organization };
  });

  routes.add('GET', '/organizations/:id', ({ param }) => ({
    status: 200,
    body: state.organizationOr404(param('id')),
  }));

  routes.add('PATCH', '/organizations/:id', ({ param, body }) => {
    const current = state.organizations.get(param('id'));
    if (!current) {
      throw notExists('organization');
    }
    const updated: Organization = { ...current, ...organizationPatch(requireBody(body)) };
    state.organizations.set(updated.id, updated);
    return { status: 200, body: updated };
  });

  routes.add('DELETE', '/organizations/:id', ({ param }) => {
    const id = param('id');
    if (!state.organizations.has(id)) {
      throw notFound();
    }
    state.deleteOrganization(id);
    return { status: 204 };
  });
}

/** Only the fields present change; jsonb fields (customData, color, branding) are replaced wholesale, not merged. */
function organizationPatch(input: Body): Partial<Organization> {
  const patch: Partial<Organization> = {};
  if (input.name !== undefined) {
    patch.name = requiredString(input, 'name', 128);
  }
  const description = optionalString(input, 'description');
  if (description !== undefined) {
    patch.description = description;
  }
  const customCss = optionalString(input, 'customCss', 1_000_000);
  if (customCss !== undefined) {
    patch.customCss = customCss;
  }
  const isMfaRequired = optionalBoolean(input, 'isMfaRequired');
  if (isMfaRequired !== undefined) {
    patch.isMfaRequired = isMfaRequired;
  }
  for (const key of ['customData', 'color', 'branding'] as const) {
    const value = optionalObject(input, key);
    if (value !== undefined) {
      patch[key] = value;
    }
  }
  return patch;
}
