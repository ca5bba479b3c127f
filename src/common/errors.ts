// Errors the user can act on: printed as one line, with a distinct exit code.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes: 0 fine, 1 a --fail-on condition held, 2 bad input or usage, 3 internal error, 130 stopped by Ctrl-C (SIGINT). */
export const EXIT_FAIL_ON = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;
export const EXIT_INTERRUPTED = 130;
