/**
 * Ctrl-C (or SIGTERM) for long walks: the first aborts `signal` so the walk finishes what is in
 * flight and prints its summary; the second exits at once with 130.
 */
export function onInterrupt(
  unit: string,
  out: NodeJS.WritableStream & { isTTY?: boolean },
  err: NodeJS.WritableStream,
  exit: (code: number) => void = (code) => process.exit(code),
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let interrupts = 0;
  const handler = () => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort();
      out.write(
        `${out.isTTY ? '\n' : ''}interrupt: finishing the ${unit} in flight, then the summary (interrupt again to stop at once)\n`,
      );
    } else {
      err.write('stopped; rerun to finish\n');
      exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
