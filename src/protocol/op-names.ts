/** The 19 client message types (PROTOCOL §2.1) and mvchat's `logout`. */
export const OP_NAMES = [
  'hi',
  'login',
  'acc',
  'search',
  'dm',
  'room',
  'send',
  'get',
  'edit',
  'unsend',
  'delete',
  'react',
  'typing',
  'read',
  'recv',
  'clear',
  'invite',
  'contact',
  'pin',
  'logout',
] as const;

export type OpName = (typeof OP_NAMES)[number];

const opNameSet: ReadonlySet<string> = new Set(OP_NAMES);

export function isOpName(key: string): key is OpName {
  return opNameSet.has(key);
}
