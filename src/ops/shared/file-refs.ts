import { fail } from '../../protocol/errors.js';
import type { UserOpContext } from '../op.js';

/**
 * A message may cite (`media[].ref`) only files its sender can already read
 * (the download rule): otherwise a learned file id would be a key. Costs
 * nothing without file references and one indexed query with them. Missing
 * and unreadable ids answer alike (`404 file not found`), so ids cannot be
 * probed.
 */
export async function requireReadableFiles(ctx: UserOpContext, fileRefs: readonly string[]): Promise<void> {
  if (fileRefs.length === 0) return;
  const readable = await ctx.deps.stores.files.readableBy(ctx.userId, fileRefs);
  if (fileRefs.some((id) => !readable.has(id))) fail('fileNotFound');
}
