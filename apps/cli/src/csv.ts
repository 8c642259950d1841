/**
 * One CSV record as RFC 4180 writes it: a field holding a comma, a double quote,
 * CR or LF is quoted, with its quotes doubled; the record ends with CRLF.
 */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
