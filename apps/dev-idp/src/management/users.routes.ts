import { USERNAME } from '../config/config-file';
import { generateStandardShortId } from '../ids';
import { optionalBoolean, optionalObject, optionalString, requireBody } from './input-guards';
import { hashPassword, type ManagementState, type User, userView } from './management-state';
import { invalidInput, RequestError } from './request-error';
import type { RouteTable } from './route-table';

/** Logto's `emailRegEx` (packages/toolkit/core-kit src/regex.ts). */
const EMAIL = /^\S+@\S+\.\S+$/;

/**
 * Users, as core routes/admin-user/basics.ts: create → 200 with the user (never the password), get one → 200 or
 * 404 `entity.not_found`, delete → 204 (memberships go with it). Usernames follow core-kit `usernameRegEx` and
 * are unique (case-sensitive, Logto's default username policy) → 422 `user.username_already_in_use`. Suspending
 * (PATCH is-suspended) and deleting sign the user out (`signOutUser`), as Logto does.
 */
export function addUserRoutes(routes: RouteTable, state: ManagementState, signOutUser: (userId: string) => void): void {
  routes.add('POST', '/users', ({ body }) => {
    const input = requireBody(body);
    const username = optionalString(input, 'username', 128) ?? null;
    if (username !== null && !USERNAME.test(username)) {
      throw invalidInput(`"username" must match ${USERNAME.source}`);
    }
    const primaryEmail = optionalString(input, 'primaryEmail', 128) ?? null;
    if (primaryEmail !== null && !EMAIL.test(primaryEmail)) {
      throw invalidInput('"primaryEmail" must be an email address');
    }
    const password = optionalString(input, 'password', 256) ?? null;
    if (password === '') {
      throw invalidInput('"password" must not be empty');
    }
    if (input.passwordDigest !== undefined || input.passwordAlgorithm !== undefined) {
      throw invalidInput('the dev IdP does not import password digests; send "password"');
    }
    const users = [...state.users.values()];
    if (username !== null && users.some((user) => user.username === username)) {
      throw new RequestError(422, 'user.username_already_in_use', 'This username is already in use.');
    }
    if (primaryEmail !== null && users.some((user) => user.primaryEmail === primaryEmail)) {
      throw new RequestError(422, 'user.email_already_in_use', 'This email is associated with an existing account.');
    }
    let id = generateStandardShortId();
    while (state.users.has(id)) {
      id = generateStandardShortId();
    }
    const now = Date.now();
    const user: User = {
      id,
      username,
      primaryEmail,
      primaryPhone: null,
      name: optionalString(input, 'name', 128) ?? null,
      avatar: null,
      customData: optionalObject(input, 'customData') ?? {},
      profile: optionalObject(input, 'profile') ?? {},
      isSuspended: false,
      lastSignInAt: null,
      createdAt: now,
      updatedAt: now,
      passwordHash: password === null ? null : hashPassword(password),
    };
    state.users.set(id, user);
    return { status: 200, body: userView(user) };
  });

  routes.add('GET', '/users/:userId', ({ param }) => ({ status: 200, body: userView(state.userOr404(param('userId'))) }));

  // core src/routes/admin-user/basics.ts: Logto signs the user out (`signOutUser`) before it deletes the row, and
  // appends User.Deleted itself, with the deleted user as `data`.
  routes.add('DELETE', '/users/:userId', ({ param }) => {
    const user = state.userOr404(param('userId'));
    signOutUser(user.id);
    state.deleteUser(user.id);
    return { status: 204, hookContexts: [{ event: 'User.Deleted', data: userView(user) }] };
  });

  // As core src/routes/admin-user/basics.ts: body `{ isSuspended: boolean }` (koaGuard, before the handler: 400
  // guard.invalid_input otherwise), 404 for an unknown user, the user's new state as the answer (and
  // User.SuspensionStatus.Updated's data, through the hooks registration). Suspending calls `signOutUser`;
  // un-suspending signs nobody in again. A suspended user's sign-in is refused (the sign-in page, `user.suspended`).
  routes.add('PATCH', '/users/:userId/is-suspended', ({ param, body }) => {
    const isSuspended = optionalBoolean(requireBody(body), 'isSuspended');
    if (isSuspended === undefined) {
      throw invalidInput('"isSuspended" must be a boolean');
    }
    const user = state.userOr404(param('userId'));
    const updated: User = { ...user, isSuspended, updatedAt: Date.now() };
    state.users.set(updated.id, updated);
    if (isSuspended) {
      signOutUser(updated.id);
    }
    return { status: 200, body: userView(updated) };
  });
}
