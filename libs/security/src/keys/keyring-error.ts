/**
 * A key file is missing, unreadable, of the wrong type, inconsistent or too widely readable.
 * The message names the file and says how to fix it; the app refuses to boot.
 */
export class KeyringError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    /** `cause`: the node:fs error behind it, so a command line can say whom to run as. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeyringError';
  }
}
