/** A configuration error: the CLI prints `message` and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'GW_ERR_CONFIG';
  /** The offending key, dotted (`gateway.listen[0].url`), or '' for the whole file. */
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.key = key;
  }
}
