import { extname } from 'node:path';

/** Extensions a handler may have that Node 20 cannot import by itself. */
export const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Lets this process import TypeScript when the handler is a TypeScript file, so
 * `worker.handler: ./app.ts` runs as is. tsx's ESM loader hooks are registered globally (no
 * namespace), so the handler's own imports — `gateworker`, `@gateworker/worker` — resolve to the
 * very modules the CLI already loaded: one runtime instance, and `instanceof` works across them.
 * Types are not checked here (that is `tsc --noEmit`'s job); they are stripped.
 */
export async function enableTypeScriptFor(handlerFile: string): Promise<void> {
  if (!TYPESCRIPT_EXTENSIONS.has(extname(handlerFile))) return;
  const { register } = await import('tsx/esm/api');
  register();
}
