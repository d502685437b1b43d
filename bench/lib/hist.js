// A fixed-bucket log histogram of non-negative integers (we record microseconds).
// Values < 64 get exact buckets; above that each power of two is split into 32 sub-buckets,
// so a bucket's width is at most ~3 % of its value. Mergeable across processes (sparse form).

const SUB_BITS = 5;
const SUB = 1 << SUB_BITS; // 32
const LINEAR = 64;
const MAX_EXP = 36; // ~ 6.9e10 us, far beyond anything we measure
export const BUCKETS = LINEAR + (MAX_EXP - 6 + 1) * SUB;

function indexOf(v) {
  if (v < LINEAR) return v < 0 ? 0 : v | 0;
  if (v >= 2 ** MAX_EXP) return BUCKETS - 1;
  const e = Math.floor(Math.log2(v));
  const sub = Math.floor(v / 2 ** (e - SUB_BITS)) - SUB; // 0..31
  return LINEAR + (e - 6) * SUB + sub;
}

function lowerBound(i) {
  if (i < LINEAR) return i;
  const e = Math.floor((i - LINEAR) / SUB) + 6;
  const sub = (i - LINEAR) % SUB;
  return (SUB + sub) * 2 ** (e - SUB_BITS);
}

function midpoint(i) {
  if (i < LINEAR) return i;
  return (lowerBound(i) + lowerBound(i + 1)) / 2;
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.n = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = 0;
  }

  record(v) {
    this.counts[indexOf(v)]++;
    this.n++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Sparse, IPC-friendly form. */
  toJSON() {
    const b = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) b.push(i, this.counts[i]);
    return { b, n: this.n, sum: this.sum, min: this.n ? this.min : 0, max: this.max };
  }

  static from(json) {
    const h = new Histogram();
    if (json) h.merge(json);
    return h;
  }

  merge(json) {
    const other = json instanceof Histogram ? json.toJSON() : json;
    for (let i = 0; i < other.b.length; i += 2) this.counts[other.b[i]] += other.b[i + 1];
    this.n += other.n;
    this.sum += other.sum;
    if (other.n && other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  percentile(p) {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(Math.max(midpoint(i), this.min), this.max);
    }
    return this.max;
  }

  /** Summary in milliseconds (values were recorded in microseconds). */
  summaryMs() {
    const ms = (v) => (v === null ? null : Math.round(v) / 1000);
    return {
      samples: this.n,
      p50: ms(this.percentile(50)),
      p90: ms(this.percentile(90)),
      p99: ms(this.percentile(99)),
      max: ms(this.n ? this.max : null),
      mean: ms(this.n ? this.sum / this.n : null),
    };
  }
}
