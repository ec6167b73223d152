import type { Command } from 'commander';
import { vi } from 'vitest';

/** Runs a CLI command in-process and returns what it printed on stdout. */
export async function runCommand(command: Command, name: string, ...args: string[]): Promise<string> {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    await command.parseAsync(['node', name, ...args]);
  } finally {
    write.mockRestore();
  }
  return out;
}
