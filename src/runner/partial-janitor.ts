// Removes the `.partial` files a killed process left behind mid-download (they would otherwise
// stay forever: nothing records them). A partial is only removed when nobody can be writing it:
// its run is not being driven here and holds no live lease in the store (another process's
// lease lasts until it expires, so a partial another process is writing is never touched).
import type { FileStore, PartialFile } from "../files/index.ts";
import type { Store } from "../store/index.ts";

export interface PartialSweep {
  files: FileStore;
  store: Store;
  now: number;
  /** Runs this process is driving right now. */
  isActive(runId: string): boolean;
}

/** Removes every partial whose run nobody holds; returns what was removed. */
export async function sweepPartials(sweep: PartialSweep): Promise<PartialFile[]> {
  const removed: PartialFile[] = [];
  const leased = new Map<string, boolean>();
  for (const partial of await sweep.files.listPartials()) {
    if (sweep.isActive(partial.runId)) continue;
    let live = leased.get(partial.runId);
    if (live === undefined) {
      const run = await sweep.store.getRun(partial.runId);
      live =
        run !== undefined &&
        run.leaseOwner !== null &&
        run.leaseExpiresAt !== null &&
        run.leaseExpiresAt > sweep.now;
      leased.set(partial.runId, live);
    }
    if (live) continue;
    await sweep.files.removePartial(partial);
    removed.push(partial);
  }
  return removed;
}

/**
 * A run this process has just claimed after its last driver stopped: the lease is ours, so every
 * partial of the run is a leftover of that driver.
 */
export async function removeLeftoverPartials(files: FileStore, runId: string): Promise<number> {
  const partials = await files.listPartials(runId);
  for (const partial of partials) await files.removePartial(partial);
  return partials.length;
}
