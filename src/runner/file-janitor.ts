// The scheduler's housekeeping, at most once a minute: erases the details of runs past attempt
// retention, deletes run files past file retention, and sweeps `.partial` files no driver can be
// writing any more (partial-janitor.ts).
import type { FileStore } from "../files/index.ts";
import type { Store } from "../store/index.ts";
import { sweepPartials } from "./partial-janitor.ts";

export interface FileJanitorOptions {
  store: Store;
  files: FileStore;
  now: () => number;
  /** How long after a run finished its personal details are kept; null or absent: forever. */
  attemptRetentionMs?: number | null;
  /** Runs this process is driving right now. */
  isActive(runId: string): boolean;
  logger: { info(object: object, message?: string): void };
}

/** Time between two cleanups. */
const CLEANUP_EVERY_MS = 60_000;

export class FileJanitor {
  private lastCleanup = 0;

  constructor(private readonly options: FileJanitorOptions) {}

  /** Cleans up when the last cleanup is a minute old; otherwise does nothing. */
  async maybeClean(): Promise<void> {
    const now = this.options.now();
    if (now - this.lastCleanup < CLEANUP_EVERY_MS) return;
    this.lastCleanup = now;
    await this.eraseExpiredDetails(now);
    await this.deleteExpiredFiles(now);
    await this.sweep(now);
  }

  private async eraseExpiredDetails(now: number): Promise<void> {
    const retention = this.options.attemptRetentionMs;
    if (retention === undefined || retention === null) return;
    const erased = await this.options.store.eraseFinishedRuns(now - retention, 500);
    if (erased > 0)
      this.options.logger.info(
        { count: erased },
        "erased the details of runs past attempt retention",
      );
  }

  private async deleteExpiredFiles(now: number): Promise<void> {
    const { store, files } = this.options;
    for (const file of await store.expiredFiles(now, 500)) {
      await files.delete({
        name: file.name,
        ref: file.ref,
        size: file.size,
        contentType: file.contentType,
      });
      await store.deleteFile(file.id);
    }
  }

  private async sweep(now: number): Promise<void> {
    const partials = await sweepPartials({
      files: this.options.files,
      store: this.options.store,
      now,
      isActive: this.options.isActive,
    });
    if (partials.length > 0)
      this.options.logger.info(
        { count: partials.length, bytes: partials.reduce((sum, p) => sum + p.size, 0) },
        "removed partial files left by an interrupted download",
      );
  }
}
