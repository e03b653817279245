import { createHash } from 'node:crypto';

/** Accumulates the identity of a dataset: its items and where their content comes from. */
export class FingerprintBuilder {
  private readonly hash = createHash('sha256');

  constructor(kind: string) {
    this.text(kind);
  }

  /** Each value is length-prefixed, so ("ab","c") and ("a","bc") hash differently. */
  text(...values: (string | number)[]): this {
    for (const value of values) {
      const encoded = Buffer.from(String(value), 'utf8');
      this.hash.update(`${encoded.length}:`);
      this.hash.update(encoded);
    }
    return this;
  }

  bytes(data: Uint8Array): this {
    this.hash.update(`${data.length}:`);
    this.hash.update(data);
    return this;
  }

  /** 128 bits as hex: short enough for file and run names. */
  digest(): string {
    return this.hash.digest('hex').slice(0, 32);
  }
}
