/**
 * A performance mark per drawing of a chart ('nap-drawn:<name>'), so that a browser test can measure in the
 * page how long a view takes from its data's arrival (the API responses' resource timing) to its drawing.
 */
export function markDrawn(name: string): void {
  performance.mark(`nap-drawn:${name}`);
}
