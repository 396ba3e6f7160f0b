// Schemas shared by several route groups.
import { Type } from '@sinclair/typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
      reference: Type.Optional(Type.String()),
    }),
  },
  { $id: 'Error' },
);

export const Uuid = Type.String({ format: 'uuid' });

export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const Timestamp = Type.String({ format: 'date-time' });

/** Standard error responses, so the OpenAPI document lists them. */
export const errorResponses = {
  400: Type.Ref('Error'),
  401: Type.Ref('Error'),
  403: Type.Ref('Error'),
  404: Type.Ref('Error'),
  409: Type.Ref('Error'),
  429: Type.Ref('Error'),
};

export const NoContent = { 204: Type.Null({ description: 'done' }) };
export const AnyObject = Type.Object({}, { additionalProperties: true });
