/**
 * The notes sidecar on disk (src/results/notes.ts says what it holds): read on demand, each change applied
 * to the file's current text and written atomically (a temporary file in the same folder, then rename), so
 * a reader never sees half a file and a crash leaves the old notes whole. Changes through one NotesFile
 * run one after another; across processes (two servers, the CLI) a lock file beside the notes makes each
 * read-change-write whole, so no writer's change is lost.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import {
  applyChange,
  emptyNotes,
  NOTES_SUFFIX,
  parseNotes,
  type ChangeResult,
  type NotesChange,
  type NotesDocument,
} from '../notes.js';

/** The sidecar path of a results file. */
export function notesPathOf(resultsFile: string): string {
  return `${resultsFile}${NOTES_SUFFIX}`;
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Writes `text` to `file` atomically: temporary file beside it, then rename over it. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A lock older than this was left by a process that died while writing; it is taken over. */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

/** Runs `work` holding the lock file `lock` (created exclusively; removed afterwards). */
async function withLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lock, { force: true });
      else if (Date.now() - started > LOCK_WAIT_MS) {
        throw new InputError(`the notes lock ${lock} has been held for ${Math.round(age / 1000)} s`, {
          hint: 'another nap process is writing the notes; if none is, remove the lock file',
        });
      } else await sleep(Math.min(5 * 2 ** attempt, 100));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

export class NotesFile {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  /** The document on disk; an empty one when the file does not exist yet. */
  async read(): Promise<NotesDocument> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return emptyNotes();
      throw error;
    }
    return parseNotes(text, this.path);
  }

  /** Applies `change` to the file and answers the note written; changes run in the order they arrive. */
  change(change: NotesChange): Promise<ChangeResult> {
    const next = this.queue
      .then(() =>
        withLock(`${this.path}.lock`, async () => {
          const { doc, result } = applyChange(await this.read(), change, this.now());
          await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 1)}\n`);
          return result;
        }),
      )
      .catch((error: unknown) => {
        throw explained(this.path, error);
      });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** A permission error as an InputError that says where the notes go; other errors as they are. */
function explained(file: string, error: unknown): unknown {
  const code = codeOf(error);
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return error;
  return new InputError(`cannot write the notes file ${file} (${code})`, {
    hint: 'decisions, tags and saved views are kept beside the results file: make its folder writable',
    cause: error,
  });
}
