/**
 * Facts about the machine a node reports (kubelet's cadvisor machine info and node status
 * setters): cpu count, memory, ephemeral storage of the data dir's filesystem, OS image, kernel,
 * architecture, addresses; and current pressure signals (available memory and disk, pid usage)
 * against kubelet's default hard eviction thresholds.
 */
import { networkInterfaces, hostname, cpus, totalmem, freemem, release, arch as osArch, platform } from 'node:os';
import { readFile, statfs } from 'node:fs/promises';

export interface MachineInfo {
  cpuCount: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
  osImage: string;
  kernelVersion: string;
  /** Go's GOARCH spelling (amd64, arm64). */
  architecture: string;
  /** Go's GOOS spelling (linux, darwin). */
  operatingSystem: string;
  hostname: string;
  machineID: string;
  bootID: string;
}

/** Kubernetes architecture names for Node's arch values. */
export function goArch(a: string = osArch()): string {
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

async function readTrim(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return '';
  }
}

export async function machineInfo(dataDir: string): Promise<MachineInfo> {
  let storage = 0;
  try {
    const s = await statfs(dataDir);
    storage = s.blocks * s.bsize;
  } catch {
    storage = 0;
  }
  let osImage = `${platform()} ${release()}`;
  const osRelease = await readTrim('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease);
  if (pretty) osImage = pretty[1]!;
  return {
    cpuCount: cpus().length || 1,
    memoryBytes: totalmem(),
    ephemeralStorageBytes: storage,
    osImage,
    kernelVersion: release(),
    architecture: goArch(),
    operatingSystem: platform() === 'win32' ? 'windows' : platform(),
    hostname: hostname().toLowerCase(),
    machineID: await readTrim('/etc/machine-id'),
    bootID: await readTrim('/proc/sys/kernel/random/boot_id'),
  };
}

/** The first non-internal IPv4 address (kubelet's default node IP), else loopback. */
export function defaultNodeIP(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface PressureSignals {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

/** kubelet's default hard eviction thresholds. */
export const EVICTION_MEMORY_AVAILABLE_BYTES = 100 * 1024 * 1024;
export const EVICTION_NODEFS_AVAILABLE_RATIO = 0.1;

/** Current pressure, measured the way kubelet's eviction manager signals it. */
export async function pressure(dataDir: string): Promise<PressureSignals> {
  let available = freemem();
  const meminfo = await readTrim('/proc/meminfo');
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo);
  if (m) available = Number(m[1]) * 1024;
  let disk = false;
  try {
    const s = await statfs(dataDir);
    disk = s.blocks > 0 && s.bavail / s.blocks < EVICTION_NODEFS_AVAILABLE_RATIO;
  } catch {
    disk = false;
  }
  let pid = false;
  const max = Number(await readTrim('/proc/sys/kernel/pid_max'));
  const loadavg = await readTrim('/proc/loadavg');
  const running = Number(/\s\d+\/(\d+)\s/.exec(loadavg)?.[1]);
  if (max > 0 && running > 0) pid = running / max > 0.9;
  return { memory: available < EVICTION_MEMORY_AVAILABLE_BYTES, disk, pid };
}
