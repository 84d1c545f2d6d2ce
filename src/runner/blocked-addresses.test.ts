import { describe, expect, it } from "vitest";
import { classifyAddress, isLoopback } from "./blocked-addresses.ts";

describe("classifyAddress", () => {
  it.each([
    ["169.254.169.254", "metadata"],
    ["::a9fe:a9fe", "metadata"],
    ["::169.254.169.254", "metadata"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["64:ff9b::169.254.169.254", "metadata"],
    ["2002:a9fe:a9fe::1", "metadata"],
    // Teredo: the client address 169.254.169.254 inverted is 5601:5601.
    ["2001:0:4136:e378:8000:63bf:5601:5601", "metadata"],
    ["168.63.129.16", "metadata"],
    ["192.0.0.192", "metadata"],
    ["fe80::1%eth0", "metadata"],
    ["127.0.0.1", "private"],
    ["::ffff:127.0.0.1", "private"],
    ["2002:0a00:0001::1", "private"],
    ["0.0.0.0", "private"],
    ["::", "private"],
    ["fd12:3456::1", "private"],
    ["100.64.0.1", "private"],
    ["8.8.8.8", "public"],
    ["2606:4700::1111", "public"],
    ["64:ff9b::808:808", "public"],
  ] as const)("%s is %s", (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it("answers the same when asked again, also after more addresses than it keeps answers for", () => {
    expect(classifyAddress("169.254.169.254")).toBe("metadata");
    for (let i = 0; i < 3_000; i += 1) {
      const address = `8.${(i >> 8) & 255}.${i & 255}.1`;
      expect(classifyAddress(address)).toBe("public");
      expect(isLoopback(address)).toBe(false);
    }
    expect(classifyAddress("169.254.169.254")).toBe("metadata");
    expect(classifyAddress("10.1.2.3")).toBe("private");
    expect(classifyAddress("10.1.2.3")).toBe("private");
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.0.0.1")).toBe(true);
  });

  it("knows loopback in its forms", () => {
    expect(isLoopback("127.0.0.2")).toBe(true);
    expect(isLoopback("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopback("10.0.0.1")).toBe(false);
  });
});
