import { appendFileSync, closeSync, existsSync, ftruncateSync, openSync, readSync, statSync, unlinkSync } from 'node:fs'
import type { LectrEvent } from '../domain'

/** Bytes read from the file at a time while replaying; grown when one line is longer. */
const READ_CHUNK = 1 << 20

/**
 * The events that found the in-memory queue full, one JSON line each, in the order they arrived: a file next to
 * the database (`<db>.spill.ndjson`). The writer appends to its end and reads (replays) from a remembered offset;
 * the file is removed once everything in it has been written to the event log. A file left by an earlier run (a
 * crash, or a stop while the database was unwritable) is replayed from its start: the event log ignores an id it
 * already has, so an event replayed twice is stored once.
 */
export class SpillFile {
  /** bytes in the file */
  private size = 0
  /** bytes already read back (replayed into the queue) */
  private readAt = 0
  /** lines in the file not read back yet */
  unread = 0

  constructor(readonly path: string) {
    if (!existsSync(path)) return
    const stat = statSync(path)
    // Not a file (a directory in its place): nothing to replay, and appends fail, so events beyond the bound are counted lost.
    if (!stat.isFile()) return
    this.size = stat.size
    this.unread = this.countLines()
    // A run that died while appending can leave half a line: end it, so the next line starts on its own.
    if (this.size > 0 && !this.endsWithNewline()) {
      appendFileSync(path, '\n')
      this.size++
      this.unread++
    }
  }

  /** true while some of the file has not been read back */
  get hasUnread(): boolean {
    return this.readAt < this.size
  }

  /** true while the file exists (read back or not) */
  get exists(): boolean {
    return this.size > 0
  }

  /** Appends the events, one line each. Throws (leaving the file as it was) when the disk refuses. */
  append(events: LectrEvent[]): void {
    if (events.length === 0) return
    let text = ''
    for (const e of events) text += JSON.stringify(e) + '\n'
    const bytes = Buffer.byteLength(text)
    try {
      appendFileSync(this.path, text)
    } catch (err) {
      this.cutTo(this.size)
      throw err
    }
    this.size += bytes
    this.unread += events.length
  }

  /**
   * Reads back up to `max` events, oldest first. Lines that are not an event (damaged by a crash) are skipped and
   * counted in `damaged`.
   */
  read(max: number): { events: LectrEvent[]; damaged: number } {
    const events: LectrEvent[] = []
    let damaged = 0
    if (max <= 0 || !this.hasUnread) return { events, damaged }
    const fd = openSync(this.path, 'r')
    try {
      let chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, this.size - this.readAt))
      while (events.length < max && this.hasUnread) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, this.size - this.readAt), this.readAt)
        let start = 0
        for (let nl = chunk.indexOf(10, start); nl !== -1 && nl < n && events.length < max; nl = chunk.indexOf(10, start)) {
          const line = chunk.toString('utf8', start, nl)
          start = nl + 1
          this.unread--
          const e = parseEvent(line)
          if (e) events.push(e)
          else if (line.trim() !== '') damaged++
        }
        if (start === 0) {
          if (n === this.size - this.readAt) {
            // The rest of the file is one line without its end (a failed append whose tail could not be cut).
            this.readAt = this.size
            this.unread = 0
            damaged++
            break
          }
          // One line longer than the buffer: read it again with a buffer twice as large.
          chunk = Buffer.allocUnsafe(chunk.length * 2)
          continue
        }
        this.readAt += start
      }
    } finally {
      closeSync(fd)
    }
    return { events, damaged }
  }

  /** Removes the file; call only once every event read back has been written. */
  remove(): void {
    try {
      unlinkSync(this.path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    this.forget()
  }

  private forget(): void {
    this.size = 0
    this.readAt = 0
    this.unread = 0
  }

  /** Cuts a partly appended tail (a full disk can take part of a write). */
  private cutTo(size: number): void {
    try {
      const fd = openSync(this.path, 'r+')
      try {
        if (statSync(this.path).size > size) ftruncateSync(fd, size)
      } finally {
        closeSync(fd)
      }
    } catch {
      // Nothing was written, or the file cannot be opened at all: either way there is no torn line to cut.
    }
  }

  private countLines(): number {
    const fd = openSync(this.path, 'r')
    try {
      const chunk = Buffer.allocUnsafe(READ_CHUNK)
      let lines = 0
      for (let at = 0; at < this.size; ) {
        const n = readSync(fd, chunk, 0, chunk.length, at)
        if (n === 0) break
        for (let i = chunk.indexOf(10); i !== -1 && i < n; i = chunk.indexOf(10, i + 1)) lines++
        at += n
      }
      return lines
    } finally {
      closeSync(fd)
    }
  }

  private endsWithNewline(): boolean {
    const fd = openSync(this.path, 'r')
    try {
      const b = Buffer.alloc(1)
      readSync(fd, b, 0, 1, this.size - 1)
      return b[0] === 10
    } finally {
      closeSync(fd)
    }
  }
}

/** An event read back from a line, or null when the line is not one (only `id`, `org` and `time` are checked). */
function parseEvent(line: string): LectrEvent | null {
  try {
    const v = JSON.parse(line) as LectrEvent
    if (v && typeof v === 'object' && typeof v.id === 'string' && typeof v.org === 'string' && typeof v.time === 'string') return v
  } catch {
    // a damaged line
  }
  return null
}
