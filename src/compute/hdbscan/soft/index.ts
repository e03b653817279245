/**
 * Soft clustering as hdbscan 0.8.43's prediction module computes it: membership vectors of the fit's
 * points (all_points_membership_vectors), and label, probability and membership vector of new points
 * (approximate_predict, membership_vector). Quirks of the reference are kept for parity and named
 * where they happen; the one deviation (lambda maxima over finite lambdas) keeps every value finite
 * beside exact duplicates, as labelling.ts and glosh.ts do.
 */
export { buildSoftTree, type SoftTree } from './soft-tree.js';
export {
  allPointsMembershipVectors,
  visitMembershipVectors,
  SOFT_MEMBERSHIP_STAGE,
  type MembershipRowVisitor,
} from './all-points.js';
export {
  approximatePredict,
  createPredictor,
  membershipVectors,
  type ApproximatePrediction,
  type ClusteringPredictor,
} from './predict.js';
export { strongestMemberships, type StrongestMemberships } from './strongest.js';
