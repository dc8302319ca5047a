/**
 * The address the API server tells clients (and the `kubernetes` Endpoints) to reach it on: the
 * bind address, or — bound to every address — the machine's first non-loopback IPv4 address
 * (kube-apiserver's --advertise-address default).
 */
import { networkInterfaces } from 'node:os';

export function advertiseAddress(bindAddress: string): string {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::' && bindAddress !== '') return bindAddress;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
