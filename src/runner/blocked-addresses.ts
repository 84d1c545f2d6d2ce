// The address sets the egress policy refuses, as node:net BlockLists: cloud metadata and
// link-local always; loopback, private and unique-local ranges when the operator asks. An IPv6
// address that carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) is also judged
// by the IPv4 address inside it, since that is where the packets may end up.
import { BlockList, isIP } from "node:net";

/** Link-local and cloud-metadata addresses: never reachable from an integration. */
const METADATA = new BlockList();
METADATA.addSubnet("169.254.0.0", 16, "ipv4");
METADATA.addAddress("100.100.100.200", "ipv4"); // Alibaba Cloud
METADATA.addAddress("168.63.129.16", "ipv4"); // Azure WireServer
METADATA.addAddress("192.0.0.192", "ipv4"); // Oracle Cloud
METADATA.addSubnet("fe80::", 10, "ipv6");
METADATA.addAddress("fd00:ec2::254", "ipv6"); // AWS (IPv6)
METADATA.addAddress("fd20:ce::254", "ipv6"); // Google Cloud (IPv6)

/** Loopback, private, shared, unique-local and other non-public ranges (operator setting). */
const PRIVATE = new BlockList();
PRIVATE.addSubnet("0.0.0.0", 8, "ipv4"); // "this host": connecting to 0.0.0.0 reaches loopback
PRIVATE.addSubnet("10.0.0.0", 8, "ipv4");
PRIVATE.addSubnet("100.64.0.0", 10, "ipv4"); // carrier-grade NAT
PRIVATE.addSubnet("127.0.0.0", 8, "ipv4");
PRIVATE.addSubnet("172.16.0.0", 12, "ipv4");
PRIVATE.addSubnet("192.0.0.0", 24, "ipv4");
PRIVATE.addSubnet("192.168.0.0", 16, "ipv4");
PRIVATE.addSubnet("198.18.0.0", 15, "ipv4");
PRIVATE.addSubnet("224.0.0.0", 4, "ipv4"); // multicast
PRIVATE.addSubnet("240.0.0.0", 4, "ipv4"); // reserved, broadcast
PRIVATE.addAddress("::", "ipv6");
PRIVATE.addAddress("::1", "ipv6");
PRIVATE.addSubnet("fc00::", 7, "ipv6"); // unique local
PRIVATE.addSubnet("fec0::", 10, "ipv6"); // site-local (deprecated)
PRIVATE.addSubnet("ff00::", 8, "ipv6"); // multicast

/** Loopback and "this host" only: what reaching this machine means. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("0.0.0.0", 8, "ipv4");
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::", "ipv6");
LOOPBACK.addAddress("::1", "ipv6");

export type AddressClass = "metadata" | "private" | "public";

// Every request is checked against the address it connects to, and a service talks to a few
// addresses over and over: each answer is kept (BlockList.check builds a SocketAddress per call,
// 1–2 % of the service's CPU in a burst). The sets never change, so an answer never goes stale.
const ANSWERS_KEPT = 1_024;
const classes = new Map<string, AddressClass>();
const loopbacks = new Map<string, boolean>();

function remember<T>(answers: Map<string, T>, address: string, answer: T): T {
  if (answers.size >= ANSWERS_KEPT) answers.clear();
  answers.set(address, answer);
  return answer;
}

/** Which set `address` (an IP literal) falls in, judging embedded IPv4 addresses too. */
export function classifyAddress(address: string): AddressClass {
  const known = classes.get(address);
  if (known !== undefined) return known;
  const forms = addressForms(address);
  const answer: AddressClass = forms.some((form) => inList(METADATA, form))
    ? "metadata"
    : forms.some((form) => inList(PRIVATE, form))
      ? "private"
      : "public";
  return remember(classes, address, answer);
}

/** True for loopback and unspecified addresses, also embedded in IPv6. */
export function isLoopback(address: string): boolean {
  const known = loopbacks.get(address);
  if (known !== undefined) return known;
  return remember(
    loopbacks,
    address,
    addressForms(address).some((form) => inList(LOOPBACK, form)),
  );
}

function inList(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The address itself, plus the IPv4 address an IPv6 one carries, if any. */
function addressForms(address: string): string[] {
  if (isIP(address) !== 6) return [address];
  const words = ipv6Words(address);
  if (words === undefined) return [address];
  const embedded = embeddedIpv4(words);
  return embedded === undefined ? [address] : [address, embedded];
}

function embeddedIpv4(w: number[]): string | undefined {
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated but still parsed by stacks).
  if (zeros(0, 5) && (w[5] === 0xffff || w[5] === 0)) return v4(w[6]!, w[7]!);
  // NAT64: 64:ff9b::/96 (well-known) and 64:ff9b:1::/48 (local use).
  if (w[0] === 0x64 && w[1] === 0xff9b && (zeros(2, 6) || w[2] === 1)) return v4(w[6]!, w[7]!);
  // 6to4: 2002:AABB:CCDD::/48.
  if (w[0] === 0x2002) return v4(w[1]!, w[2]!);
  // Teredo: 2001:0::/32, the client's IPv4 address inverted in the last 32 bits.
  if (w[0] === 0x2001 && w[1] === 0) return v4(w[6]! ^ 0xffff, w[7]! ^ 0xffff);
  return undefined;
}

/** The eight 16-bit words of an IPv6 literal (a trailing dotted IPv4 part is allowed). */
function ipv6Words(address: string): number[] | undefined {
  let text = address.toLowerCase().split("%")[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted[1]!.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((x) => parseInt(x, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const words = [...left, ...new Array<number>(missing).fill(0), ...right];
  return words.some((x) => Number.isNaN(x)) ? undefined : words;
}
