// Ctrl-C / SIGTERM for long runs: checkpoint at the next step and stop; a second signal exits at once.

export function stopFlag(): () => boolean {
  let stop = false;
  const on = (sig: string) => () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write(`\n${sig}: checkpointing at the next step (send it again to exit now)\n`);
  };
  process.on('SIGINT', on('SIGINT'));
  process.on('SIGTERM', on('SIGTERM'));
  return () => stop;
}
