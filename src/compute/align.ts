/** Pattern labels of two clusterings on the inputs both hold. */

/** The pattern of each input of a clustering, by ascending input index. */
export interface Labelling {
  inputIndex: Int32Array;
  patternId: Int32Array;
}

/** Labels of the inputs that both labellings hold, aligned by input index (both sorted by input index: one merge pass). */
export function alignLabellings(
  a: Labelling,
  b: Labelling,
): { inputIndex: Int32Array; labelsA: Int32Array; labelsB: Int32Array } {
  const shared: number[] = [];
  const labelsA: number[] = [];
  const labelsB: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.inputIndex.length && j < b.inputIndex.length) {
    const x = a.inputIndex[i]!;
    const y = b.inputIndex[j]!;
    if (x < y) i++;
    else if (y < x) j++;
    else {
      shared.push(x);
      labelsA.push(a.patternId[i++]!);
      labelsB.push(b.patternId[j++]!);
    }
  }
  return { inputIndex: Int32Array.from(shared), labelsA: Int32Array.from(labelsA), labelsB: Int32Array.from(labelsB) };
}
