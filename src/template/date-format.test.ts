import { describe, expect, it } from "vitest";
import { DateInputError, formatDate } from "./date-format.ts";

describe("formatDate", () => {
  const moment = "2024-12-30T15:05:09.123Z";

  it("formats day, month and year characters", () => {
    expect(formatDate("2024-03-01", "d j D l m n M F N b E y Y")).toBe(
      "01 1 Fri Friday 03 3 Mar March March mar March 24 2024",
    );
    expect(formatDate("2024-09-05", "N")).toBe("Sept.");
    expect(formatDate("0987-01-02", "Y y")).toBe("0987 87");
  });

  it("formats time characters", () => {
    expect(formatDate(moment, "H G h g i s u a A f P")).toBe(
      "15 15 03 3 05 09 123000 p.m. PM 3:05 3:05 p.m.",
    );
    expect(formatDate("2024-01-01T00:00", "P|f|a|h")).toBe("midnight|12|a.m.|12");
    expect(formatDate("2024-01-01T12:00", "P|g")).toBe("noon|12");
    expect(formatDate("2024-01-01T09:00", "P")).toBe("9 a.m.");
  });

  it("formats calendar facts: L S t w W o z", () => {
    expect(formatDate(moment, "L t w W o z")).toBe("True 31 1 1 2025 365");
    expect(formatDate("2021-01-01", "W o w")).toBe("53 2020 5");
    expect(formatDate("2023-02-11", "L t jS")).toBe("False 28 11th");
    expect(
      ["01", "02", "03", "04", "21", "22", "23", "31"].map((d) => formatDate(`2024-01-${d}`, "S")),
    ).toEqual(["st", "nd", "rd", "th", "st", "nd", "rd", "st"]);
  });

  it("keeps the written offset and wall-clock time (no conversion)", () => {
    const value = "2024-03-01T09:30:00+02:00";
    expect(formatDate(value, "H:i O Z U")).toBe("09:30 +0200 7200 1709278200");
    expect(formatDate(value, "c")).toBe("2024-03-01T09:30:00+02:00");
    expect(formatDate(value, "r")).toBe("Fri, 01 Mar 2024 09:30:00 +0200");
    expect(formatDate("2024-03-01T09:30:00-0530", "O")).toBe("-0530");
    expect(formatDate(moment, "c")).toBe("2024-12-30T15:05:09.123000+00:00");
  });

  it("reads a date-only value as that calendar day at midnight, with no timezone", () => {
    expect(formatDate("2024-03-01", "c")).toBe("2024-03-01");
    expect(formatDate("2024-03-01", "H:i U O")).toBe("00:00 1709251200 ");
    expect(formatDate("2024-03-01", "r")).toBe("Fri, 01 Mar 2024 00:00:00 -0000");
  });

  it("renders e, T and I empty and copies other and escaped characters", () => {
    expect(formatDate(moment, "e|T|I")).toBe("||");
    expect(formatDate("2024-03-01", "\\Y\\m: Y, \\a\\t #!")).toBe("Ym: 2024, at #!");
  });

  it("renders null and empty text as empty, like Django", () => {
    expect(formatDate(null, "Y")).toBe("");
    expect(formatDate("", "Y")).toBe("");
  });

  it.each(["2024-02-30", "2023-02-29", "2024-13-01", "2024-01-01T24:00", "01/02/2024", "2024-1-1"])(
    "rejects %s",
    (value) => {
      expect(() => formatDate(value, "Y")).toThrow(DateInputError);
    },
  );

  it("rejects values that are not text", () => {
    expect(() => formatDate(20240301, "Y")).toThrow(/ISO date.*got 20240301/);
    expect(() => formatDate(["2024-03-01"], "Y")).toThrow(DateInputError);
  });
});
