// Which hosts integrations may reach. By default anything but link-local and cloud-metadata
// addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200); an integration may narrow
// that to a host allowlist. The sender calls the check after DNS resolution and on every redirect.
import { BlockList, isIP } from "node:net";
import type { AddressCheck } from "../http/index.ts";

const DENIED = new BlockList();
DENIED.addSubnet("169.254.0.0", 16, "ipv4");
DENIED.addAddress("100.100.100.200", "ipv4");
DENIED.addSubnet("fe80::", 10, "ipv6");
DENIED.addAddress("fd00:ec2::254", "ipv6");

export interface EgressPolicy {
  /** Host names (exact, or `*.example.com` for subdomains) requests may go to; absent: any. */
  allowedHosts?: readonly string[];
}

// The sender keeps one connection pool per check function, so equal policies share one function.
const checks = new Map<string, AddressCheck>();

export function egressCheck(policy: EgressPolicy = {}): AddressCheck {
  const allowed = (policy.allowedHosts ?? []).map((host) => host.toLowerCase()).sort();
  const key = allowed.join(",");
  let check = checks.get(key);
  if (check === undefined) {
    check = (host, address) => {
      if (
        allowed.length > 0 &&
        !allowed.some((pattern) => hostMatches(host.toLowerCase(), pattern))
      ) {
        return `${host} is not in this integration's allowed hosts (${allowed.join(", ")})`;
      }
      const family = isIP(address);
      const mapped = address.startsWith("::ffff:") ? address.slice(7) : undefined;
      if (mapped !== undefined && isIP(mapped) === 4 && DENIED.check(mapped, "ipv4"))
        return deniedMessage(host, address);
      if (family !== 0 && DENIED.check(address, family === 4 ? "ipv4" : "ipv6"))
        return deniedMessage(host, address);
      return undefined;
    };
    checks.set(key, check);
  }
  return check;
}

function deniedMessage(host: string, address: string): string {
  return `${host} resolves to ${address}, a link-local or cloud-metadata address that integrations may not reach`;
}

function hostMatches(host: string, pattern: string): boolean {
  if (pattern.startsWith("*."))
    return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}
