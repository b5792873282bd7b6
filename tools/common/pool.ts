/**
 * The workbench's worker pool: `work` on every item, at most `jobs` at a
 * time, in order of the items; no new item starts once `signal` aborts.
 */
export async function runPool<T>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}
