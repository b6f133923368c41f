import type { Static, TSchema } from '@sinclair/typebox';
import type { OpName } from '../op-names.js';
import { AccSchema } from './acc.js';
import { ClearSchema } from './clear.js';
import { ContactSchema } from './contact.js';
import { DeleteSchema } from './delete.js';
import { DmSchema } from './dm.js';
import { EditSchema } from './edit.js';
import { GetSchema } from './get.js';
import { HiSchema } from './hi.js';
import { InviteSchema } from './invite.js';
import { LoginSchema } from './login.js';
import { LogoutSchema } from './logout.js';
import { PinSchema } from './pin.js';
import { ReactSchema } from './react.js';
import { ReadSchema } from './read.js';
import { RecvSchema } from './recv.js';
import { RoomSchema } from './room.js';
import { SearchSchema } from './search.js';
import { SendSchema } from './send.js';
import { TypingSchema } from './typing.js';
import { UnsendSchema } from './unsend.js';

/**
 * JSON Schema of every op's body (PROTOCOL §2.1), the one source for the
 * server's validation, client SDKs and the published protocol schema.
 * `satisfies` keeps each entry's own type, so `OpBody<'send'>` is exact.
 */
export const OP_SCHEMAS = {
  hi: HiSchema,
  login: LoginSchema,
  acc: AccSchema,
  search: SearchSchema,
  dm: DmSchema,
  room: RoomSchema,
  send: SendSchema,
  get: GetSchema,
  edit: EditSchema,
  unsend: UnsendSchema,
  delete: DeleteSchema,
  react: ReactSchema,
  typing: TypingSchema,
  read: ReadSchema,
  recv: RecvSchema,
  clear: ClearSchema,
  invite: InviteSchema,
  contact: ContactSchema,
  pin: PinSchema,
  logout: LogoutSchema,
} as const satisfies Record<OpName, TSchema>;

/** The body an op accepts, as its handler sees it after validation. */
export type OpBody<N extends OpName> = Static<(typeof OP_SCHEMAS)[N]>;

export * from './acc.js';
export * from './clear.js';
export * from './contact.js';
export * from './delete.js';
export * from './dm.js';
export * from './edit.js';
export * from './get.js';
export * from './hi.js';
export * from './invite.js';
export * from './login.js';
export * from './logout.js';
export * from './pin.js';
export * from './react.js';
export * from './read.js';
export * from './recv.js';
export * from './room.js';
export * from './search.js';
export * from './send.js';
export * from './typing.js';
export * from './unsend.js';
