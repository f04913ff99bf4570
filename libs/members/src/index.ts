// A tenant's members and invitations (issue 16): a thin, authorized bridge to Logto's organization APIs, the role
// rules (last owner, no escalation, no platform-scoped role) and the invitation accept page on the edge sign-in.
export { type InvitationBrowser } from './invitation-browser';
export { MembersModule } from './members.module';
