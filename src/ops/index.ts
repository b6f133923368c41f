import type { OpName } from '../protocol/op-names.js';
import type { OpDefinition } from './op.js';
import { acc } from './acc.js';
import { clear } from './clear.js';
import { contact } from './contact.js';
import { deleteOp } from './delete.js';
import { dm } from './dm.js';
import { edit } from './edit.js';
import { get } from './get.js';
import { hi } from './hi.js';
import { invite } from './invite.js';
import { login } from './login.js';
import { logout } from './logout.js';
import { pin } from './pin.js';
import { react } from './react.js';
import { read } from './read.js';
import { recv } from './recv.js';
import { room } from './room.js';
import { search } from './search.js';
import { send } from './send.js';
import { typing } from './typing.js';
import { unsend } from './unsend.js';

/** Every client op (PROTOCOL §2.1) and its declarations; the dispatcher refuses to start if one is missing. */
export const OP_TABLE: Record<OpName, OpDefinition> = {
  hi,
  login,
  acc,
  search,
  dm,
  room,
  send,
  get,
  edit,
  unsend,
  delete: deleteOp,
  react,
  typing,
  read,
  recv,
  clear,
  invite,
  contact,
  pin,
  logout,
};
