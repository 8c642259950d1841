import { describe, expect, it } from "vitest";
import { csvRecord } from "../src/csv.js";

describe("csvRecord", () => {
  it("leaves plain fields bare and ends the record with CRLF", () => {
    expect(csvRecord(["1", "complete", "0.25", ""])).toBe("1,complete,0.25,\r\n");
  });

  it("quotes a field holding a comma, a quote, CR or LF, and doubles its quotes (RFC 4180, 2.6-2.7)", () => {
    expect(csvRecord(["a,b", 'say "hi"', "two\nlines", "cr\r", "x"])).toBe('"a,b","say ""hi""","two\nlines","cr\r",x\r\n');
  });
});
