import type { Db } from './database.js';
import { AccountStore } from './account-store.js';
import { PresenceStore } from './presence-store.js';
import { MembershipStore } from './membership-store.js';

/** The storage ports, one per aggregate, over one database. */
export interface Stores {
  db: Db;
  accounts: AccountStore;
  presence: PresenceStore;
  membership: MembershipStore;
}

export function createStores(db: Db): Stores {
  return { db, accounts: new AccountStore(db), presence: new PresenceStore(db), membership: new MembershipStore(db) };
}
