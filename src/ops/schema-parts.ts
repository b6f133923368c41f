/** Schema fragments shared by op schemas. Limits keep every value inside column ranges (DEFECTS 20). */
export const MAX_INT = 2_147_483_647;

export const str = (maxLength: number, minLength = 0) => ({ type: 'string', maxLength, minLength }) as const;
export const int = (minimum = 0, maximum = MAX_INT) => ({ type: 'integer', minimum, maximum }) as const;
export const bool = { type: 'boolean' } as const;
/** UUIDs are checked by the handler (to answer `invalid conv id` etc.), so only the length is bounded here. */
export const uuidish = str(64);
export const seq = int(-MAX_INT, MAX_INT);
/** Free-form JSON (content, public, private): any type, including null. */
export const anyJson = {} as const;

export function object(properties: Record<string, object>, required: string[] = []): object {
  return { type: 'object', properties, required };
}
