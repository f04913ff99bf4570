// No imports: `npm start` (scripts/start-dev.js) reads this list from the build to register the dev IdP's hook.

/** The events the receiver acts on, and what the bootstrap registers the hook for (Logto 1.42's event names). */
export const HANDLED_LOGTO_EVENTS = [
  'Organization.Membership.Updated',
  'Organization.Deleted',
  'Organization.Data.Updated',
  'OrganizationRole.Scopes.Updated',
  'User.Deleted',
  'User.SuspensionStatus.Updated',
] as const;

export type HandledLogtoEvent = (typeof HANDLED_LOGTO_EVENTS)[number];
