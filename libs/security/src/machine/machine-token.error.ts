/** Why a machine token was refused. The only detail a caller may pass on (with a 401). */
export type MachineTokenErrorReason =
  | 'malformed'
  | 'wrong_type'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim';

export const MACHINE_TOKEN_ERROR_REASONS: readonly MachineTokenErrorReason[] = [
  'malformed',
  'wrong_type',
  'unknown_key',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_issuer',
  'wrong_audience',
  'missing_claim',
];

/**
 * Every verification failure. The message is the reason code only: no claim values, no library text and
 * no `cause`, so logging or serialising it leaks nothing about the token or the keys.
 */
export class MachineTokenError extends Error {
  constructor(readonly reason: MachineTokenErrorReason) {
    super(`machine token rejected: ${reason}`);
    this.name = 'MachineTokenError';
  }
}
