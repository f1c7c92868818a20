/** Every failure the client reports: the API's `{"error": {"code", "message"}}`, or a local cause. */
export class CodetteError extends Error {
  /** HTTP status (0 when no response arrived: network down, timeout, refused subscription). */
  readonly status: number;
  /** The API's stable error code (`not_found`, `invalid_audio`, ...), or a local one: `network_error`, `timeout`, `invalid_file` (a path that is not a readable file). */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "CodetteError";
    this.status = status;
    this.code = code;
  }
}
