/**
 * `resource.Quantity` from apimachinery: parsing (`100m`, `1.5Gi`, `1e3`, `+5`, `.5`), the canonical
 * string the API server stores (`1.5Gi` → `1536Mi`, `0.1` → `100m`, `1000` → `1k`), comparison and
 * arithmetic. Values are held exactly as a count of nano-units in a bigint: Kubernetes rounds every
 * parsed value up (away from zero) to 1n precision, so nanos lose nothing.
 */

/** How a quantity prints: the format of the suffix it was written with. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** The error texts apimachinery returns (ErrFormatWrong, ErrSuffix, ErrNumeric). */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';

/** Thrown by {@link Quantity.parse} with one of the messages above. */
export class QuantityParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityParseError';
  }
}

const NANO = 1_000_000_000n;
/** Binary quantities are capped at MaxInt64, as in ParseQuantity. */
const MAX_INT64 = 9223372036854775807n;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** apimachinery's parseQuantityString: sign, numerator, denominator and suffix. */
function splitQuantity(str: string): { positive: boolean; num: string; denom: string; suffix: string } {
  let pos = 0;
  const end = str.length;
  let positive = true;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  const num = str.slice(pos, i) || '0';
  pos = i;
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos] ?? '')) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityParseError(QUANTITY_FORMAT_ERROR);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (Number.isSafeInteger(exponent) && Math.abs(exponent) <= 2147483647) return { base: 10, exponent, format: 'DecimalExponent' };
  }
  throw new QuantityParseError(QUANTITY_SUFFIX_ERROR);
}

/** Divides rounding away from zero (inf.RoundUp). */
function divAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  return q * d === n ? q : n < 0n ? q - 1n : q + 1n;
}

/** An immutable resource quantity. */
export class Quantity {
  private constructor(
    /** Exact value in units of 1e-9. */
    readonly nanos: bigint,
    readonly format: QuantityFormat,
  ) {}

  /**
   * Parses a quantity string (or a JSON number, which Kubernetes also accepts). Throws
   * {@link QuantityParseError} with apimachinery's message.
   */
  static parse(input: string | number): Quantity {
    const str = typeof input === 'number' ? numberText(input) : input;
    if (str.length === 0) throw new QuantityParseError(QUANTITY_FORMAT_ERROR);
    if (str === '0') return new Quantity(0n, 'DecimalSI');
    const { positive, num, denom, suffix } = splitQuantity(str);
    const { base, exponent, format } = interpretSuffix(suffix);
    // Exact value = (num.denom) × base^exponent, then rounded away from zero to nano precision.
    let numerator = BigInt(num + denom);
    let denominator = 10n ** BigInt(denom.length);
    if (base === 10) {
      if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
      else denominator *= 10n ** BigInt(-exponent);
    } else numerator *= 2n ** BigInt(exponent);
    let nanos = divAwayFromZero(numerator * NANO, denominator);
    if (format === 'BinarySI' && nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
    return new Quantity(positive ? nanos : -nanos, format);
  }

  /** Parses, returning undefined instead of throwing. */
  static tryParse(input: string | number | undefined | null): Quantity | undefined {
    if (input === undefined || input === null) return undefined;
    try {
      return Quantity.parse(input);
    } catch {
      return undefined;
    }
  }

  /** resource.NewQuantity(value, format) */
  static fromInt(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  /** resource.NewMilliQuantity(value, format) */
  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  /** resource.NewScaledQuantity(value, scale): value × 10^scale. */
  static fromScaled(value: number | bigint, scale: number): Quantity {
    const v = BigInt(value) * NANO;
    const nanos = scale >= 0 ? v * 10n ** BigInt(scale) : divAwayFromZero(v, 10n ** BigInt(-scale));
    return new Quantity(nanos, 'DecimalSI');
  }

  static readonly ZERO = new Quantity(0n, 'DecimalSI');

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** Sum, keeping this format (or the other's when this is zero, as Quantity.Add does). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** Multiplies by an integer (e.g. per-pod request × replicas). */
  mul(factor: number | bigint): Quantity {
    return new Quantity(this.nanos * BigInt(factor), this.format);
  }

  /** ceil-away-from-zero of value / 10^scale, as ScaledValue does. */
  scaledValue(scale: number): bigint {
    const shift = scale + 9;
    return shift >= 0 ? divAwayFromZero(this.nanos, 10n ** BigInt(shift)) : this.nanos * 10n ** BigInt(-shift);
  }

  /** Value() — integer units, rounded away from zero. Exact below 2^53. */
  value(): number {
    return Number(this.scaledValue(0));
  }

  /** MilliValue() — thousandths, rounded away from zero (`100m` CPU → 100). */
  milliValue(): number {
    return Number(this.scaledValue(-3));
  }

  /** AsApproximateFloat64 */
  asApproximateFloat(): number {
    return Number(this.nanos) / 1e9;
  }

  /** Same value, other print format (e.g. to report a sum in BinarySI). */
  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.nanos, format);
  }

  /** The canonical form Kubernetes serializes (CanonicalizeBytes). */
  toString(): string {
    if (this.nanos === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const abs = this.nanos < 0n ? -this.nanos : this.nanos;
      // Small or fractional binary values print as DecimalSI so nothing is rounded.
      if (abs < 1024n * NANO || abs % NANO !== 0n) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      let amount = this.nanos / NANO;
      let exp = 0;
      while (amount % 1024n === 0n && BINARY_BY_EXPONENT.has((exp + 1) * 10)) {
        amount /= 1024n;
        exp++;
      }
      return `${amount}${BINARY_BY_EXPONENT.get(exp * 10) ?? ''}`;
    }
    let amount = this.nanos;
    let exponent = -9;
    while (amount % 10n === 0n) {
      amount /= 10n;
      exponent++;
    }
    while (((exponent % 3) + 3) % 3 !== 0) {
      amount *= 10n;
      exponent--;
    }
    if (format === 'DecimalExponent') return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
    const suffix = DECIMAL_BY_EXPONENT.get(exponent);
    return suffix !== undefined ? `${amount}${suffix}` : `${amount}e${exponent}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** JSON numbers arrive as numbers; print them as Go's json would hand the text to Quantity. */
function numberText(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? n.toFixed(0) : String(n).replace('e+', 'e');
}

/** Canonical string for a quantity value, or undefined if it does not parse. */
export function canonicalQuantity(input: string | number): string | undefined {
  return Quantity.tryParse(input)?.toString();
}
