// Which hosts integrations may reach. Never link-local or cloud-metadata addresses (see
// blocked-addresses.ts); with the operator's `blockPrivate`, no loopback, private or unique-local
// address either. An integration may narrow that to `allowed_hosts`: `api.example.com`,
// `*.example.com` (subdomains), each optionally with `:port`. An entry without a port allows
// every port but the service's own on this machine — that one must be named (`127.0.0.1:8787`).
// The sender calls the check after DNS resolution and on every redirect.
import type { AddressCheck } from "../http/index.ts";
import type { IntegrationOptions } from "../store/records.ts";
import { classifyAddress, isLoopback } from "./blocked-addresses.ts";

/** The operator's egress settings for the whole service. */
export interface EgressSettings {
  /** Also refuse loopback, private (RFC 1918, CGNAT) and unique-local addresses. */
  blockPrivate?: boolean;
  /** The port this service listens on (set once it listens). */
  ownPort?: number;
  /** This machine's own addresses besides loopback (e.g. when listening on 0.0.0.0). */
  ownAddresses?: readonly string[];
}

export interface EgressPolicy extends EgressSettings {
  /** Allowed host entries (see the header); absent or empty: any host. */
  allowedHosts?: readonly string[];
}

interface HostEntry {
  pattern: string;
  port?: number;
}

// The sender keeps one connection pool per check function, so equal policies share one function.
const checks = new Map<string, AddressCheck>();

/** The check for one integration under the service's settings. */
export function integrationEgress(
  options: Pick<IntegrationOptions, "allowedHosts">,
  settings: EgressSettings = {},
): AddressCheck {
  return egressCheck({
    ...settings,
    ...(options.allowedHosts !== undefined ? { allowedHosts: options.allowedHosts } : {}),
  });
}

export function egressCheck(policy: EgressPolicy = {}): AddressCheck {
  const allowed = (policy.allowedHosts ?? []).map((host) => host.toLowerCase()).sort();
  const key = JSON.stringify([
    allowed,
    policy.blockPrivate === true,
    policy.ownPort ?? null,
    policy.ownAddresses ?? [],
  ]);
  let check = checks.get(key);
  if (check === undefined) {
    const entries = allowed.map(parseEntry);
    const own = new Set(policy.ownAddresses ?? []);
    check = (host, address, port) => {
      const kind = classifyAddress(address);
      if (kind === "metadata")
        return `${host} resolves to ${address}, a link-local or cloud-metadata address that integrations may not reach`;
      if (kind === "private" && policy.blockPrivate === true)
        return `${host} resolves to ${address}, a loopback, private or unique-local address, which this service does not let integrations reach (HIREWIRE_EGRESS_BLOCK_PRIVATE)`;
      if (entries.length === 0) return undefined;
      const name = host.toLowerCase();
      const matching = entries.filter((entry) => hostMatches(name, entry.pattern));
      const hostPort = port !== undefined ? `${host}:${port}` : host;
      if (!matching.some((entry) => entry.port === undefined || entry.port === port))
        return `${hostPort} is not in this integration's allowed hosts (${allowed.join(", ")})`;
      const isOwn =
        port !== undefined && port === policy.ownPort && (isLoopback(address) || own.has(address));
      if (isOwn && !matching.some((entry) => entry.port === port))
        return `${hostPort} is this service's own port; allowed_hosts must name it with the port (${name}:${port}) to allow it`;
      return undefined;
    };
    checks.set(key, check);
  }
  return check;
}

function parseEntry(entry: string): HostEntry {
  const match = /^(.*):(\d{1,5})$/.exec(entry);
  // A bare IPv6 address has colons too; only `host:port` with one colon (or `[v6]:port`) has a port.
  if (match === null || (match[1]!.includes(":") && !match[1]!.startsWith("["))) {
    return { pattern: stripBrackets(entry) };
  }
  return { pattern: stripBrackets(match[1]!), port: Number(match[2]) };
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function hostMatches(host: string, pattern: string): boolean {
  if (pattern.startsWith("*."))
    return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}
