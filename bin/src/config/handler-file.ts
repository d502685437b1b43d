import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { transformSync, type Loader, type TransformFailure } from 'esbuild';

/**
 * Checks the handler file a config names before any process starts: it exists, and it parses.
 * A syntax error is reported as `file:line:column: message`, once — Node 20 reports a syntax error
 * of an ES module without its position. esbuild (the parser tsx runs TypeScript handlers through)
 * parses the file as the worker will load it, TypeScript included; nothing is executed.
 */

const LOADERS: Record<string, Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.jsx': 'jsx' };

/** Returns the problem with the handler file, or null when it exists and parses. */
export function handlerFileProblem(file: string): string | null {
  if (!existsSync(file)) return `${file}: file not found`;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    return `${file}: cannot read it: ${(err as Error).message}`;
  }
  try {
    transformSync(source, { loader: LOADERS[extname(file)] ?? 'js', sourcefile: file, logLevel: 'silent' });
  } catch (err) {
    const first = (err as Partial<TransformFailure>).errors?.[0];
    if (first === undefined) return null; // not a syntax error esbuild can place; the worker reports it on load
    const where = first.location === null ? file : `${file}:${first.location.line}:${first.location.column + 1}`;
    return `${where}: syntax error: ${first.text}`;
  }
  return null;
}
