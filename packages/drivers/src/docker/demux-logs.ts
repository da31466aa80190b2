/**
 * Splits a container's log buffer into lines. Without a TTY the Engine API frames each
 * chunk with an 8-byte header (stream, 0, 0, 0, big-endian length); with one (or from an
 * engine that does not frame) the buffer is the raw text.
 */
export function demuxLogLines(buffer: Buffer): string[] {
  const chunks: Buffer[] = [];
  if (isFramed(buffer)) {
    let offset = 0;
    while (offset + 8 <= buffer.length) {
      const length = buffer.readUInt32BE(offset + 4);
      chunks.push(buffer.subarray(offset + 8, offset + 8 + length));
      offset += 8 + length;
    }
  } else {
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function isFramed(buffer: Buffer): boolean {
  if (buffer.length < 8) return false;
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    if (
      (stream !== 0 && stream !== 1 && stream !== 2) ||
      buffer[offset + 1] !== 0 ||
      buffer[offset + 2] !== 0 ||
      buffer[offset + 3] !== 0
    ) {
      return false;
    }
    offset += 8 + buffer.readUInt32BE(offset + 4);
  }
  return offset === buffer.length;
}
