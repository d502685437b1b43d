export const ConfigErrorCode = {
  /** The config file, an environment override or a CLI flag is invalid; `key` names it. */
  Config: 'GW_ERR_CONFIG',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** A configuration error: the CLI prints `message` and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode = ConfigErrorCode.Config;
  /** The offending key, dotted (`gateway.listen[0].url`), or '' for the whole file. */
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.key = key;
  }
}
