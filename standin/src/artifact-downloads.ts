/**
 * `MlflowClient.download_artifacts` for the virtual artifact tree: files are really written to a
 * fresh `tempfile.mkdtemp()`-style directory, because clients get the local path back. The
 * directories are removed when the stand-in shuts down (the real server never cleans up).
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { artifactBytes, type ArtifactNode } from './tracking-store.js';

const TEMP_NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_';

export class ArtifactDownloads {
  private readonly dirs: string[] = [];

  constructor(private readonly root: string = tmpdir()) {}

  /** Python's mkdtemp names: "tmp" + 8 random characters. */
  private makeTempDir(): string {
    for (;;) {
      const name = 'tmp' + Array.from({ length: 8 }, () => TEMP_NAME_CHARS[randomInt(TEMP_NAME_CHARS.length)]).join('');
      const dir = join(this.root, name);
      try {
        mkdirSync(dir, { mode: 0o700 });
        this.dirs.push(dir);
        return dir;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  /** Writes the file or directory and returns `os.path.join(dst_path, artifact_path)`. */
  download(node: ArtifactNode): string {
    const dir = this.makeTempDir();
    const files = node.kind === 'file' ? [node.artifact] : node.files;
    for (const file of files) {
      const target = join(dir, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, artifactBytes(file));
    }
    return join(dir, node.kind === 'file' ? node.artifact.path : node.path);
  }

  cleanup(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}
