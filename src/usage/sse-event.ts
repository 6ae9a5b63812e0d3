/** One server-sent event, reduced to what metering needs. */
export interface SseEvent {
  /** the `event:` field (the Responses API names its events), or null */
  type: string | null
  /** the `data:` lines joined by `\n`, or null for a block without data (a comment such as `: keep-alive`) */
  data: string | null
}

const LINE_BREAK = /\r\n|\r|\n/
const COLON = 0x3a
const SPACE = 0x20
const LF = 0x0a
const CR = 0x0d

/**
 * Parses the text of one event block as the SSE specification does: fields `event` and `data`, one leading
 * space after the colon dropped, comments and other fields ignored.
 *
 * @param lines the block's count of non-blank lines when known: a single line is parsed without splitting
 * @example parseSseEvent('event: response.completed\ndata: {"a":1}\n\n') // { type: 'response.completed', data: '{"a":1}' }
 */
export function parseSseEvent(block: string, lines?: number): SseEvent {
  const event: SseEvent = { type: null, data: null }
  if (lines === 1) {
    let end = block.length
    while (end > 0 && (block.charCodeAt(end - 1) === LF || block.charCodeAt(end - 1) === CR)) end--
    addField(event, block.slice(0, end))
  } else {
    for (const line of block.split(LINE_BREAK)) addField(event, line)
  }
  return event
}

function addField(event: SseEvent, line: string): void {
  if (line === '' || line.charCodeAt(0) === COLON) return
  const colon = line.indexOf(':')
  const field = colon === -1 ? line : line.slice(0, colon)
  const value = colon === -1 ? '' : line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1)
  if (field === 'data') event.data = event.data === null ? value : `${event.data}\n${value}`
  else if (field === 'event') event.type = value
}
