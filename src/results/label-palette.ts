/**
 * The ten category colours of labels, predicted classes and pins, browser-safe so that a test can check
 * them: every pair at least 20 CIEDE2000 apart, and at least 14 apart as seen with protanopia or
 * deuteranopia (picked from the Okabe–Ito, Tol and Tableau palettes for those distances).
 */
export const LABEL_PALETTE: readonly string[] = [
  '#66ccee',
  '#d55e00',
  '#009988',
  '#ccbb44',
  '#332288',
  '#ee3377',
  '#8c564b',
  '#9467bd',
  '#882255',
  '#5c3c00',
];
