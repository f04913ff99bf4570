/**
 * A key file is missing, unreadable, of the wrong type, inconsistent or too widely readable.
 * The message names the file and says how to fix it; the app refuses to boot.
 */
export class KeyringError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'KeyringError';
  }
}
