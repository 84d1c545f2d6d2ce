// The egress check: every address a request would connect to is shown to `checkAddress` first.
// With our own Agent the check runs inside the socket's DNS lookup, so the address that was
// checked is the address connected to (no gap for DNS rebinding between check and connect).
// IP-literal hosts skip DNS, so they are checked before the request; a caller-supplied dispatcher
// cannot be hooked, so for it we resolve and check up front (best effort: it resolves again).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import type { buildConnector as UndiciConnector } from "undici";
import { Agent, buildConnector } from "./undici-parts.ts";
import { hirewireError } from "../errors/index.ts";

/**
 * Returns a refusal message for an address a request must not reach, or undefined to allow it.
 * `port` is the port connected to (the URL's, or 80/443).
 */
export type AddressCheck = (host: string, address: string, port?: number) => string | undefined;

// One Agent per check function keeps connection reuse; a pooled connection was checked by the
// same function when it was opened. Callers should therefore pass a long-lived function.
const checkedAgents = new WeakMap<AddressCheck, Agent>();

/** A keep-alive Agent whose DNS lookups refuse addresses `check` rejects. */
export function checkedAgent(check: AddressCheck): Agent {
  let agent = checkedAgents.get(check);
  if (agent === undefined) {
    agent = new Agent({ connect: portAwareConnector(check) });
    checkedAgents.set(check, agent);
  }
  return agent;
}

// A socket's DNS lookup does not learn the port, so each port gets a connector whose lookup knows it.
function portAwareConnector(check: AddressCheck): UndiciConnector.connector {
  const byPort = new Map<number, UndiciConnector.connector>();
  return (options, callback) => {
    const port = Number(options.port) || (options.protocol === "https:" ? 443 : 80);
    let connector = byPort.get(port);
    if (connector === undefined) {
      connector = buildConnector({
        lookup: checkedLookup(check, port),
      } as UndiciConnector.BuildOptions);
      byPort.set(port, connector);
    }
    return connector(options, callback);
  };
}

/** The port a URL connects to. */
export function urlPort(url: URL): number {
  return url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/** The bare host of a URL (IPv6 brackets removed). */
export function bareHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/** Checks a host that is an IP literal (DNS is never consulted for those); true when it was one. */
export function checkLiteralHost(host: string, check: AddressCheck, port?: number): boolean {
  if (isIP(host) === 0) return false;
  assertAllowed(host, [host], check, port);
  return true;
}

/** Resolves `host` and checks every address; for dispatchers we cannot hook. */
export async function resolveAndCheck(
  host: string,
  check: AddressCheck,
  port?: number,
): Promise<void> {
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
  );
  assertAllowed(
    host,
    addresses.map((a) => a.address),
    check,
    port,
  );
}

function checkedLookup(check: AddressCheck, port: number): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "");
      try {
        assertAllowed(
          hostname,
          addresses.map((a) => a.address),
          check,
          port,
        );
      } catch (refusal) {
        return callback(refusal as NodeJS.ErrnoException, "");
      }
      const first = addresses[0];
      if (options.all === true) callback(null, addresses);
      else if (first === undefined) callback(null, "");
      else callback(null, first.address, first.family);
    });
  };
}

// Any refused address refuses the host: a name resolving to a public and a private address is
// exactly the rebinding trick the check exists to stop.
function assertAllowed(
  host: string,
  addresses: string[],
  check: AddressCheck,
  port?: number,
): void {
  for (const address of addresses) {
    const refusal = check(host, address, port);
    if (refusal !== undefined) {
      throw hirewireError(
        "HTTP_EGRESS_DENIED",
        "refused",
        { refusal },
        { details: port !== undefined ? { host, address, port } : { host, address } },
      );
    }
  }
}
