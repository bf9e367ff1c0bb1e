/**
 * Runs `work` over `items` with at most `concurrency` in flight. Once `stopped()` says so, no
 * new item starts and the ones in flight finish: an interrupted walk leaves no item half-done
 * by the walk itself.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  stopped: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stopped()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
