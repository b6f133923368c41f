/** Every Redis name this server uses, under one configurable prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /**
   * Hash: node id → number of this user's sessions on that node. Exists while the user is online anywhere;
   * a count of 0 is a field a recovering node keeps for a user who left until it tells her "off" (no session).
   */
  presence(userId: string): string {
    return `${this.prefix}pres:${userId}`;
  }

  /** Set of users with sessions on a node (for cleaning up after a dead node). */
  nodeUsers(nodeId: string): string {
    return `${this.prefix}node-users:${nodeId}`;
  }

  /**
   * String: id of the current presence epoch. Created once, never expires: a
   * Redis that lost its data (restarted empty, flushed) has none or another
   * one, which is how nodes notice that they must write their users again.
   */
  get presenceEpoch(): string {
    return `${this.prefix}pres-epoch`;
  }

  /** Set of every known node id. */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** Key that exists while a node is alive (refreshed by its heartbeat). */
  alive(nodeId: string): string {
    return `${this.prefix}alive:${nodeId}`;
  }

  /**
   * Left by the node that cleaned up after a dead one: if that node was only
   * cut off and comes back, its heartbeat finds this and it writes its users again.
   */
  removed(nodeId: string): string {
    return `${this.prefix}removed:${nodeId}`;
  }

  /** Lock taken by the node that cleans up after a dead one. */
  cleanup(nodeId: string): string {
    return `${this.prefix}cleanup:${nodeId}`;
  }

  /** Pub/sub inbox of one node: frames for users it hosts. */
  inbox(nodeId: string): string {
    return `${this.prefix}inbox:${nodeId}`;
  }

  /** Pub/sub channel every node reads: frames for many users at once (room fan-out). */
  everyNode(): string {
    return `${this.prefix}inbox:*all`;
  }

  /** Pub/sub channel every node reads: control messages for one user's sessions. */
  everyNodeControl(): string {
    return `${this.prefix}control:*all`;
  }
}
