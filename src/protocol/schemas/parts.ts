import { Type, type TProperties } from '@sinclair/typebox';

/** Schema fragments shared by op schemas. Limits keep every value inside column ranges (DEFECTS 20). */
export const MAX_INT = 2_147_483_647;

export const str = (maxLength: number, minLength = 0) => Type.String({ maxLength, minLength });
export const int = (minimum = 0, maximum = MAX_INT) => Type.Integer({ minimum, maximum });
export const bool = Type.Boolean();
/** UUIDs are checked by the handler (to answer `invalid conv id` etc.), so only the length is bounded here. */
export const uuidish = str(64);
export const seq = int(-MAX_INT, MAX_INT);
/** Free-form JSON (content, public, private): any type, including null. */
export const anyJson = Type.Unknown();

/**
 * An object whose fields are all optional: a missing field is answered by the
 * handler with the op's own error (`missing send data`, ...), not `malformed`.
 * Unknown fields are allowed (no `additionalProperties`).
 */
export const object = <T extends TProperties>(properties: T) => Type.Partial(Type.Object(properties));
