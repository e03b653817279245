/** Streaming mean image per group (pattern), from 8-bit pixels; memory is groups x pixels, not inputs. */
export class MeanImages {
  readonly groups: number;
  readonly pixelCount: number;
  private readonly sums: Float64Array;
  private readonly counts: Int32Array;

  constructor(groups: number, pixelCount: number) {
    this.groups = groups;
    this.pixelCount = pixelCount;
    this.sums = new Float64Array(groups * pixelCount);
    this.counts = new Int32Array(groups);
  }

  add(group: number, pixels: Uint8Array): void {
    if (group < 0) return;
    if (pixels.length !== this.pixelCount) {
      throw new RangeError(`image has ${pixels.length} values, expected ${this.pixelCount}`);
    }
    const base = group * this.pixelCount;
    for (let i = 0; i < this.pixelCount; i++) this.sums[base + i] = this.sums[base + i]! + pixels[i]!;
    this.counts[group]!++;
  }

  count(group: number): number {
    return this.counts[group]!;
  }

  /** The group's mean image, rounded to 8 bits (all zeros for an empty group). */
  mean(group: number): Uint8Array {
    const out = new Uint8Array(this.pixelCount);
    const n = this.counts[group]!;
    if (n === 0) return out;
    const base = group * this.pixelCount;
    for (let i = 0; i < this.pixelCount; i++) out[i] = Math.round(this.sums[base + i]! / n);
    return out;
  }
}
