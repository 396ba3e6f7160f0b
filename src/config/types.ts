// Schema building blocks shared by every config section.
import { Type, type TSchema, type TString } from '@sinclair/typebox';
import type { Secret } from './secret.js';

export const REGIONS = ['NOAM', 'LATAM', 'EURO', 'MENA', 'AFRICA', 'INDIA', 'APAC', 'ANZAC'] as const;
export type Region = (typeof REGIONS)[number];
export const RegionSchema = Type.Union(
  REGIONS.map((r) => Type.Literal(r)),
  { description: 'one of ' + REGIONS.join(', ') },
);

/**
 * A secret: written in the file as `env:NAME` or `file:/path` (never a literal), resolved at load time
 * into a Secret object that never prints its value. No secret has a default.
 */
export function SecretRef(description: string) {
  const raw: TString = Type.String({
    pattern: '^(env|file):.+$',
    description: `${description} (secret: "env:NAME" or "file:/path")`,
    'x-secret': true,
  });
  return Type.Unsafe<Secret>(raw);
}

export const Port = (description: string, def: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

export const Host = (description: string, def: string) =>
  Type.String({ minLength: 1, default: def, description });

export const Millis = (description: string, def: number, minimum = 0) =>
  Type.Integer({ minimum, default: def, description: `${description} (milliseconds)` });

export function Section<T extends Record<string, TSchema>>(description: string, props: T) {
  return Type.Object(props, { description, additionalProperties: false, default: {} });
}
