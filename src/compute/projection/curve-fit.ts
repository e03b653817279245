/**
 * umap-learn's find_ab_params: the a, b of the low-dimensional similarity 1 / (1 + a d^(2b)) that
 * best fit (least squares, 300 points on [0, 3 spread]) the target curve that is 1 up to minDist
 * and exp(-(d - minDist) / spread) beyond. Solved by Levenberg-Marquardt from (1, 1), like scipy's
 * curve_fit.
 */
export function fitCurve(minDist: number, spread: number): { a: number; b: number } {
  const samples = 300;
  const xs = new Float64Array(samples);
  const ys = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const x = (3 * spread * i) / (samples - 1);
    xs[i] = x;
    ys[i] = x < minDist ? 1 : Math.exp(-(x - minDist) / spread);
  }
  let a = 1;
  let b = 1;
  let damping = 1e-3;
  let cost = squaredError(xs, ys, a, b);
  for (let iteration = 0; iteration < 200; iteration++) {
    // Normal equations J^T J delta = -J^T r for the two parameters.
    let jaa = 0;
    let jab = 0;
    let jbb = 0;
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < samples; i++) {
      const x = xs[i]!;
      if (x === 0) continue; // the model is exactly 1 there whatever a and b are
      const power = Math.pow(x, 2 * b);
      const denominator = 1 + a * power;
      const residual = 1 / denominator - ys[i]!;
      const da = -power / (denominator * denominator);
      const db = (-a * power * 2 * Math.log(x)) / (denominator * denominator);
      jaa += da * da;
      jab += da * db;
      jbb += db * db;
      ga += da * residual;
      gb += db * residual;
    }
    let improved = false;
    while (damping < 1e12) {
      const maa = jaa * (1 + damping);
      const mbb = jbb * (1 + damping);
      const determinant = maa * mbb - jab * jab;
      const stepA = (-ga * mbb + gb * jab) / determinant;
      const stepB = (-gb * maa + ga * jab) / determinant;
      const trialCost = squaredError(xs, ys, a + stepA, b + stepB);
      if (Number.isFinite(trialCost) && trialCost <= cost) {
        const converged =
          Math.abs(stepA) <= 1e-12 * (Math.abs(a) + 1e-12) && Math.abs(stepB) <= 1e-12 * (Math.abs(b) + 1e-12);
        const relativeDrop = (cost - trialCost) / Math.max(cost, 1e-300);
        a += stepA;
        b += stepB;
        cost = trialCost;
        damping = Math.max(damping / 10, 1e-12);
        improved = !converged && relativeDrop > 1e-15;
        break;
      }
      damping *= 10;
    }
    if (!improved) break;
  }
  return { a, b };
}

function squaredError(xs: Float64Array, ys: Float64Array, a: number, b: number): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    const residual = 1 / (1 + a * Math.pow(xs[i]!, 2 * b)) - ys[i]!;
    sum += residual * residual;
  }
  return sum;
}
