/**
 * `address:port`, with IPv6 literals in brackets (`[fd00::5]:80`): the one way wharf writes an
 * endpoint's address, in logs, keys of backend state, tables and CLI output.
 */
export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
