/**
 * Picking a free value from a numeric range the way Kubernetes' bitmap allocators do since
 * KEP-3070 (service IPs) and KEP-3668 (node ports): the range is split into a low "static" band,
 * kept for values users request by hand, and the rest. Dynamic allocations try a random free value
 * in the upper band first and fall back to the lower band only when the upper one is full, so a
 * hand-picked `clusterIP: 10.96.0.10` or `nodePort: 30080` is rarely taken by chance.
 */

export interface BandShape {
  /** Smallest static band (Kubernetes: 16). */
  min: number;
  /** Largest static band (256 for service IPs, 128 for node ports). */
  max: number;
  /** The band is size/step before clamping (16 for service IPs, 32 for node ports). */
  step: number;
}

/** Service IPs: ipallocator's calculateRangeOffset. */
export const SERVICE_IP_BAND: BandShape = { min: 16, max: 256, step: 16 };
/** Node ports: portallocator's calculateRangeOffset. */
export const NODE_PORT_BAND: BandShape = { min: 16, max: 128, step: 32 };

/** Size of the static band of a range of `size` values. */
export function staticBandSize(size: number, shape: BandShape): number {
  if (size < shape.min) return 0;
  return Math.max(shape.min, Math.min(shape.max, Math.floor(size / shape.step)));
}

/**
 * A free value in `[first, first + size)` that `taken` does not hold, or undefined when the range
 * is full. `offsetOf(i)` → value for the i-th slot lets callers skip reserved addresses.
 */
export function pickFree(first: number, size: number, taken: (v: number) => boolean, shape: BandShape, random: () => number = Math.random): number | undefined {
  const band = staticBandSize(size, shape);
  const scan = (lo: number, hi: number): number | undefined => {
    const span = hi - lo;
    if (span <= 0) return undefined;
    // A random start, then a linear walk: O(1) on a sparse range, complete on a full one.
    const start = Math.floor(random() * span);
    for (let i = 0; i < span; i++) {
      const v = first + lo + ((start + i) % span);
      if (!taken(v)) return v;
    }
    return undefined;
  };
  return scan(band, size) ?? scan(0, band);
}
