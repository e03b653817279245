/**
 * Reorders `keys[start, end)` (and `order` alongside, when given) so that position `nth` holds the value
 * it would hold if sorted, with no larger value before it and no smaller one after (Hoare's quickselect).
 * NaN keys are not ordered: callers leave them out.
 */
export function selectNth(
  keys: Float64Array,
  order: Int32Array | undefined,
  start: number,
  end: number,
  nth: number,
): void {
  let low = start;
  let high = end - 1;
  while (high > low) {
    const mid = (low + high) >> 1;
    // Median of three as the pivot keeps sorted or clustered input from going quadratic.
    const a = keys[low]!;
    const b = keys[mid]!;
    const c = keys[high]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = low;
    let j = high;
    while (i <= j) {
      while (keys[i]! < pivot) i++;
      while (keys[j]! > pivot) j--;
      if (i <= j) {
        swap(keys, order, i, j);
        i++;
        j--;
      }
    }
    if (nth <= j) high = j;
    else if (nth >= i) low = i;
    else return;
  }
}

function swap(keys: Float64Array, order: Int32Array | undefined, i: number, j: number): void {
  const key = keys[i]!;
  keys[i] = keys[j]!;
  keys[j] = key;
  if (order === undefined) return;
  const row = order[i]!;
  order[i] = order[j]!;
  order[j] = row;
}
