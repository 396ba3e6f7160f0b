// A secret read from the environment or a file. It never prints itself: toString, JSON and
// util.inspect all show a placeholder, so a config dump or a log line cannot leak it.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

export class Secret {
  readonly #value: string;
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return `[secret from ${this.source}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The written form of a secret in configuration: `env:NAME` or `file:/path`. */
export const SECRET_REF = /^(env|file):(.+)$/;

export class SecretResolutionError extends Error {}

export function resolveSecret(ref: string, env: NodeJS.ProcessEnv): Secret {
  const m = SECRET_REF.exec(ref);
  if (!m) throw new SecretResolutionError(`expected "env:NAME" or "file:/path", got a literal value`);
  const [, kind, where] = m as unknown as [string, 'env' | 'file', string];
  if (kind === 'env') {
    const value = env[where];
    if (value === undefined || value === '') {
      throw new SecretResolutionError(`environment variable ${where} is not set`);
    }
    return new Secret(value, `env ${where}`);
  }
  let text: string;
  try {
    text = readFileSync(where, 'utf8');
  } catch (err) {
    throw new SecretResolutionError(
      `cannot read file ${where}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  // Secret files (Kubernetes, Docker) usually end with a newline that is not part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new SecretResolutionError(`file ${where} is empty`);
  return new Secret(value, `file ${where}`);
}
