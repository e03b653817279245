/**
 * The store's DuckDB schema: what a new store is created with, and what every store has once opened (an
 * older store is migrated to it first, see migrations.ts). One file holds any number of runs (one analysis
 * of one model on one dataset) and everything computed from them. Clustering ids come from a store-wide
 * sequence, so a clustering id alone identifies a clustering; its run_id and layer are repeated in the
 * tables below it so that run- and layer-wide queries need no join.
 *
 * Changing the schema (a table, a column, a constraint, or what a value means):
 *  1. edit SCHEMA_DDL below to the new shape and bump SCHEMA_VERSION;
 *  2. append a step for the new version to MIGRATIONS in migrations.ts that brings a store of the version
 *     before to exactly that shape, converting or filling its data (it runs inside the migration's one
 *     transaction; never edit a step that was released, add another);
 *  3. add the table to RUN_TABLES if it holds rows of a run;
 *  4. commit a fixture written by the version before: `node build/scripts/store-fixtures.js` (see that
 *     script). test/io/store/migrations.test.ts migrates every fixture and compares its schema, column by
 *     column, with a new store's, and its data with what the older code read from it.
 * Data a newer feature needs and an older run lacks is not invented by a migration: the feature computes it
 * on demand or names the command that adds it (e.g. `nap project` for a run without maps).
 *
 * A store with a newer version is refused, not guessed at.
 */
export const SCHEMA_VERSION = 12;

/** Per input, the class probabilities over test-time shifts (shifted-probabilities.ts), added in version 12. */
export const SHIFTED_PROBABILITIES_DDL = `CREATE TABLE shifted_probabilities (
    run_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    shifts INTEGER NOT NULL,                     -- every shift of -shifts..shifts pixels along each axis
    probabilities FLOAT[] NOT NULL,              -- renormalized geometric mean of the passes' probabilities
    PRIMARY KEY (run_id, input_index)
  )`;

/** The tables of a run's saved triage (triage.ts), added in version 8. */
export const TRIAGE_DDL: readonly string[] = [
  // One row per run with a saved triage: how its scores were made.
  `CREATE TABLE triage_runs (
    run_id INTEGER PRIMARY KEY,
    settings JSON NOT NULL,                      -- k, metric, probability source, in-sample...
    created_at TIMESTAMP NOT NULL                -- UTC
  )`,
  `CREATE TABLE triage_inputs (
    run_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    rank INTEGER NOT NULL,                       -- 0 = best lead; -1 = not ranked (no label)
    score DOUBLE NOT NULL,                       -- combined suspicion; NaN without a label
    self_confidence DOUBLE NOT NULL,             -- p(given label); NaN without classifier or label
    margin DOUBLE NOT NULL,                      -- p(given) - max p(other); NaN likewise
    suggested_label VARCHAR,                     -- the neighbours' majority label; NULL: none voted
    strongest_layer VARCHAR,                     -- where the neighbours disagree most; NULL: none voted
    reason VARCHAR NOT NULL,
    PRIMARY KEY (run_id, input_index)
  )`,
  `CREATE TABLE triage_layers (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    layer_order INTEGER NOT NULL,
    probe_accuracy DOUBLE NOT NULL,              -- leave-one-out kNN accuracy of the labels; NaN: no labels
    combined INTEGER NOT NULL,                   -- 1 where its votes enter the combined score
    PRIMARY KEY (run_id, layer)
  )`,
  // The label agreement of each input's neighbourhood layer by layer.
  `CREATE TABLE triage_agreement (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    input_index INTEGER NOT NULL,
    given_share DOUBLE NOT NULL,                 -- neighbours with its given label; NaN: none voted
    predicted_share DOUBLE NOT NULL,             -- neighbours with its predicted label; NaN likewise
    PRIMARY KEY (run_id, layer, input_index)
  )`,
];

/** The outliers and duplicates of a run's saved triage (triage.ts), added in version 10. */
export const TRIAGE_OUTLIER_DDL: readonly string[] = [
  // Every input, labelled or not: how far it lies from its neighbours, and its exact duplicates.
  `CREATE TABLE triage_outliers (
    run_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    rank INTEGER NOT NULL,                       -- 0 = most outlying
    score DOUBLE NOT NULL,                       -- mean over layers of the percentile of its mean kNN distance; NaN: none
    glosh DOUBLE NOT NULL,                       -- its highest GLOSH score over the clustered layers; NaN: none
    farthest_layer VARCHAR,                      -- the layer where its distance percentile is highest; NULL: none
    same_input_group INTEGER,                    -- inputs with the same input tensor share it; NULL: no such input
    same_activations_group INTEGER,              -- likewise for the same activations in every layer
    PRIMARY KEY (run_id, input_index)
  )`,
  // Pairs closer than a fraction of the median nearest-neighbour distance in one layer.
  `CREATE TABLE triage_near_duplicates (
    run_id INTEGER NOT NULL,
    input_a INTEGER NOT NULL,                    -- input_a < input_b
    input_b INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    distance DOUBLE NOT NULL,
    threshold DOUBLE NOT NULL,                   -- fraction x the median nearest-neighbour distance
    PRIMARY KEY (run_id, input_a, input_b)
  )`,
];

/**
 * The linear probe's score of a run's saved triage (triage.ts), added in version 11: a column of
 * triage_inputs, added by the same statements to a new store and to an older one, so both have one shape.
 * A triage saved before version 11 reads NaN (no probe; save it again).
 */
export const TRIAGE_PROBE_DDL: readonly string[] = [
  // The out-of-fold p(given label) of the linear probe (src/compute/triage/linear-probe.ts); NaN: no probe or label.
  `ALTER TABLE triage_inputs ADD COLUMN probe DOUBLE DEFAULT 'NaN'`,
  'ALTER TABLE triage_inputs ALTER COLUMN probe SET NOT NULL',
];

export const SCHEMA_DDL: readonly string[] = [
  // One row: the version of the schema below. Older nap versions read it to refuse a newer store.
  `CREATE TABLE schema_version (version INTEGER NOT NULL)`,
  // How the file got to its version: created at one, then migrated step by step.
  `CREATE TABLE schema_history (
    version INTEGER NOT NULL,
    applied_at TIMESTAMP NOT NULL,               -- UTC
    action VARCHAR NOT NULL CHECK (action IN ('created', 'migrated')),
    nap_version VARCHAR NOT NULL,                -- of the nap-lens that did it
    summary VARCHAR NOT NULL
  )`,

  `CREATE SEQUENCE run_id_seq START 1`,
  `CREATE SEQUENCE clustering_id_seq START 1`,

  `CREATE TABLE runs (
    run_id INTEGER PRIMARY KEY DEFAULT nextval('run_id_seq'),
    name VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,               -- UTC
    status VARCHAR NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    model_path VARCHAR NOT NULL,
    model_sha256 VARCHAR NOT NULL,
    model_layout VARCHAR NOT NULL,
    dataset_spec VARCHAR NOT NULL,
    dataset_fingerprint VARCHAR NOT NULL,
    extraction_config_hash VARCHAR NOT NULL,
    config JSON NOT NULL,                        -- the full configuration
    prediction_labels JSON                       -- string[] of class names, or NULL
  )`,

  `CREATE TABLE inputs (
    run_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    path VARCHAR,
    label VARCHAR,
    prediction INTEGER NOT NULL,                 -- -1 when the model does not classify
    prediction_label VARCHAR,
    probability DOUBLE NOT NULL,                 -- NaN when the model does not classify
    PRIMARY KEY (run_id, input_index)
  )`,

  `CREATE TABLE layers (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    layer_order INTEGER NOT NULL,
    op_type VARCHAR NOT NULL,
    raw_dims INTEGER[] NOT NULL,                 -- per input, before aggregation
    aggregation VARCHAR NOT NULL,
    dim INTEGER NOT NULL,                        -- length of each activations row
    PRIMARY KEY (run_id, layer)
  )`,

  // Aggregated and unit-normalized: the vectors that were clustered.
  `CREATE TABLE activations (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    input_index INTEGER NOT NULL,
    "values" FLOAT[] NOT NULL,
    PRIMARY KEY (run_id, layer, input_index)
  )`,

  `CREATE TABLE clusterings (
    clustering_id INTEGER PRIMARY KEY DEFAULT nextval('clustering_id_seq'),
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    unit INTEGER,                                -- NULL: layer patterns; c: patterns of unit c
    params JSON NOT NULL,
    pattern_count INTEGER NOT NULL,
    noise_count INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL                -- UTC
  )`,

  `CREATE TABLE patterns (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    clustering_id INTEGER NOT NULL,
    pattern_id INTEGER NOT NULL,
    size INTEGER NOT NULL,
    persistence DOUBLE NOT NULL,
    PRIMARY KEY (clustering_id, pattern_id)
  )`,

  `CREATE TABLE memberships (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    clustering_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    pattern_id INTEGER NOT NULL,                 -- -1: noise
    probability DOUBLE NOT NULL,
    outlier_score DOUBLE NOT NULL,
    PRIMARY KEY (clustering_id, input_index)
  )`,

  // Layer-wide rows have NULL clustering_id and pattern_id.
  `CREATE TABLE unit_stats (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    clustering_id INTEGER,
    pattern_id INTEGER,
    unit INTEGER NOT NULL,
    min DOUBLE NOT NULL,
    max DOUBLE NOT NULL,
    mean DOUBLE NOT NULL,
    q1 DOUBLE NOT NULL,
    q3 DOUBLE NOT NULL,
    iqr DOUBLE NOT NULL,
    lower DOUBLE NOT NULL,
    upper DOUBLE NOT NULL,
    CHECK ((clustering_id IS NULL) = (pattern_id IS NULL))
  )`,

  `CREATE TABLE max_activations (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    unit INTEGER NOT NULL,                       -- -1: the whole layer
    rank INTEGER NOT NULL,                       -- 0: strongest
    input_index INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    PRIMARY KEY (run_id, layer, unit, rank)
  )`,

  // pixels: height x width x channels uint8, row-major, channels interleaved.
  `CREATE TABLE average_images (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    clustering_id INTEGER NOT NULL,
    pattern_id INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    pixels BLOB NOT NULL,
    PRIMARY KEY (clustering_id, pattern_id)
  )`,

  `CREATE TABLE condensed_tree (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    clustering_id INTEGER NOT NULL,
    parent INTEGER NOT NULL,
    child INTEGER NOT NULL,
    "lambda" DOUBLE NOT NULL,
    child_size INTEGER NOT NULL
  )`,

  // Extraction in progress: raw aggregated activations and per-unit maxima of each committed batch, so an
  // interrupted analysis resumes after its last committed batch. Emptied when the layer is finalized.
  `CREATE TABLE staged_batches (
    run_id INTEGER NOT NULL,
    batch_start INTEGER NOT NULL,
    batch_count INTEGER NOT NULL,
    PRIMARY KEY (run_id, batch_start)
  )`,
  // One row per layer and committed batch; typed arrays as little-endian bytes, so a commit copies memory
  // instead of converting every value (see staging.ts).
  `CREATE TABLE staged_activations (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    batch_start INTEGER NOT NULL,
    input_index BLOB NOT NULL,                   -- int32 per input of the batch, ascending
    "values" BLOB NOT NULL,                      -- float32 [inputs x dim], row-major
    unit_max BLOB NOT NULL,                      -- float32 [inputs x units], row-major
    PRIMARY KEY (run_id, layer, batch_start)
  )`,

  // Concept flow: contingency tables of two clusterings of one run over their shared inputs, stored once per
  // pair (either orientation) as non-zero cells. pattern -1 is noise.
  `CREATE TABLE flow_pairs (
    run_id INTEGER NOT NULL,
    clustering_a INTEGER NOT NULL,
    clustering_b INTEGER NOT NULL,
    layer_a VARCHAR NOT NULL,
    layer_b VARCHAR NOT NULL,
    inputs INTEGER NOT NULL,                     -- inputs in both clusterings: the sum of the cells
    created_at TIMESTAMP NOT NULL,               -- UTC
    PRIMARY KEY (clustering_a, clustering_b)
  )`,
  `CREATE TABLE flow_cells (
    run_id INTEGER NOT NULL,
    clustering_a INTEGER NOT NULL,
    clustering_b INTEGER NOT NULL,
    pattern_a INTEGER NOT NULL,
    pattern_b INTEGER NOT NULL,
    count INTEGER NOT NULL,                      -- > 0
    jaccard DOUBLE NOT NULL,                     -- count / |pattern_a ∪ pattern_b|
    PRIMARY KEY (clustering_a, clustering_b, pattern_a, pattern_b)
  )`,

  // Unit normalization divisors of a layer (per column of its activations rows: max |raw aggregated value|
  // over the inputs), so that raw activations recomputed later (heatmaps) can be normalized the same way.
  `CREATE TABLE layer_divisors (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    divisors FLOAT[] NOT NULL,                   -- one per activations column (dim)
    PRIMARY KEY (run_id, layer)
  )`,
  // Where a pattern lives in the image: per spatial position of a convolutional layer, the similarity of the
  // position's normalized unit vector to the pattern's centroid (see src/compute/heatmap.ts).
  `CREATE TABLE pattern_heatmaps (
    run_id INTEGER NOT NULL,
    clustering_id INTEGER NOT NULL,
    pattern_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,                -- the member; -1: the mean over the pattern's members
    height INTEGER NOT NULL,
    width INTEGER NOT NULL,
    "values" FLOAT[] NOT NULL,                   -- height x width, row-major
    PRIMARY KEY (clustering_id, pattern_id, input_index)
  )`,
  // A 2-D map of a layer's inputs (UMAP or PCA of its normalized aggregated activations), one row per
  // layer; columns as little-endian bytes like staged_activations, one value per input.
  `CREATE TABLE projections (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    method VARCHAR NOT NULL CHECK (method IN ('umap', 'pca')),
    params JSON NOT NULL,
    point_count INTEGER NOT NULL,
    input_index BLOB NOT NULL,                   -- int32 per input, ascending
    x BLOB NOT NULL,                             -- float32 per input
    y BLOB NOT NULL,                             -- float32 per input
    created_at TIMESTAMP NOT NULL,               -- UTC
    PRIMARY KEY (run_id, layer)
  )`,
  // Per input, for triage: the model's whole class-probability vector and a digest of its input tensor
  // (see input-details.ts). Runs extracted before version 5 have no rows in it.
  `CREATE TABLE input_details (
    run_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    probabilities FLOAT[],                       -- one per model class; NULL when the model does not classify
    digest VARCHAR NOT NULL,                     -- sha256 (hex) of the input tensor the model was fed
    PRIMARY KEY (run_id, input_index)
  )`,
  // Per input, the model's class probabilities over test-time shifts of its image (nap analyze
  // --test-time-shifts); only runs analyzed with the setting have rows in it.
  SHIFTED_PROBABILITIES_DDL,
  // Feature visualizations: images optimised to maximise a unit's or a pattern's objective (see
  // feature-visualizations.ts). Key: run_id, layer, objective, target, position, clustering_id, image_index.
  `CREATE TABLE feature_visualizations (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    objective VARCHAR NOT NULL CHECK (objective IN ('unit', 'channel', 'pattern', 'pattern_contrast')),
    target INTEGER NOT NULL,                     -- the unit, or the pattern id
    position INTEGER NOT NULL,                   -- channel: spatial position (row-major); -1 otherwise
    clustering_id INTEGER,                       -- the patterns' clustering; NULL for unit objectives
    image_index INTEGER NOT NULL,                -- 0..images-1: diverse images of one objective
    contrast_pattern INTEGER,                    -- pattern_contrast: the nearest other pattern, subtracted
    params JSON NOT NULL,
    params_hash VARCHAR NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    pixels BLOB NOT NULL,                        -- height x width x channels uint8, row-major, interleaved
    value DOUBLE NOT NULL,                       -- the objective the stored image reaches
    dataset_max DOUBLE,                          -- the best value over the run's inputs; NULL: unknown
    created_at TIMESTAMP NOT NULL                -- UTC
  )`,
  // The single-linkage tree a clustering's patterns were selected from: the mutual-reachability minimum
  // spanning tree as N-1 merges in scipy's form. Merge k joins nodes left[k] and right[k] at distance[k]
  // (ascending) into node N + k; node i < N is the clustering's i-th input by ascending input index.
  // Re-selecting patterns for another min cluster size, selection method or epsilon needs only this.
  `CREATE TABLE linkage_trees (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    clustering_id INTEGER NOT NULL,
    point_count INTEGER NOT NULL,                -- N
    min_samples INTEGER NOT NULL,                -- of the core distances: it shapes the tree itself
    "left" BLOB NOT NULL,                        -- int32 per merge
    "right" BLOB NOT NULL,                       -- int32 per merge
    distance BLOB NOT NULL,                      -- float64 per merge
    PRIMARY KEY (clustering_id)
  )`,
  // Soft membership: each input's strongest patterns by hdbscan's all_points_membership_vectors (a row
  // sums to the probability of being in some pattern), the first few ranks only; noise inputs included.
  `CREATE TABLE soft_memberships (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    clustering_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    rank INTEGER NOT NULL,                       -- 0: the strongest pattern
    pattern_id INTEGER NOT NULL,
    strength FLOAT NOT NULL,                     -- in [0, 1]
    PRIMARY KEY (clustering_id, input_index, rank)
  )`,
  // The coordinates a layer was clustered in when not its activations themselves (nap analyze
  // --cluster-space pca:D | umap:D), so that re-selections can grade memberships without recomputing them.
  `CREATE TABLE cluster_spaces (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    space VARCHAR NOT NULL,                      -- e.g. pca:50, umap:10
    params JSON NOT NULL,
    point_count INTEGER NOT NULL,
    dim INTEGER NOT NULL,
    input_index BLOB NOT NULL,                   -- int32 per input, ascending
    "values" BLOB NOT NULL,                      -- float32 [point_count x dim], row-major
    created_at TIMESTAMP NOT NULL,               -- UTC
    PRIMARY KEY (run_id, layer, space)
  )`,
  ...TRIAGE_DDL,
  ...TRIAGE_OUTLIER_DDL,
  ...TRIAGE_PROBE_DDL,
  // Each layer's layout for aggregation, as traced from the model graph (src/io/onnx/layer-layout.ts).
  // Runs extracted before version 9 have no rows in it.
  `CREATE TABLE layer_layouts (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    layout VARCHAR NOT NULL CHECK (layout IN ('tokens', 'spatial', 'flat')),
    channel_order VARCHAR NOT NULL CHECK (channel_order IN ('channels-first', 'channels-last')),
    units INTEGER NOT NULL,                      -- features per position (a flat layer's length)
    positions INTEGER NOT NULL,                  -- tokens (prefix included), H*W, or 1
    prefix_tokens INTEGER NOT NULL,              -- CLS, distillation, registers: left out of patch aggregations
    grid_height INTEGER,                         -- patch grid of a token layer, grid of a map; NULL: none
    grid_width INTEGER,
    PRIMARY KEY (run_id, layer)
  )`,
  // What a gallery shows for an input that is not an image (tensor datasets); image inputs have no row.
  `CREATE TABLE input_contents (
    run_id INTEGER NOT NULL,
    input_index INTEGER NOT NULL,
    text VARCHAR,                                -- the input's text (a text column)
    series BLOB,                                 -- float32 values of the input's row (sparkline, heat strip)
    image_path VARCHAR,                          -- an image the dataset names for the input
    PRIMARY KEY (run_id, input_index)
  )`,
];

/** The tables of a run's saved triage, each before the ones its rows refer to (so deleted in this order). */
export const TRIAGE_TABLES: readonly string[] = [
  'triage_near_duplicates',
  'triage_outliers',
  'triage_agreement',
  'triage_layers',
  'triage_inputs',
  'triage_runs',
];

/** Every table that holds rows of a run, for deleting one. */
export const RUN_TABLES: readonly string[] = [
  'staged_activations',
  'staged_batches',
  'condensed_tree',
  'average_images',
  'max_activations',
  'unit_stats',
  'memberships',
  'patterns',
  'clusterings',
  'activations',
  'layers',
  'inputs',
  'runs',
  'flow_cells',
  'flow_pairs',
  'layer_divisors',
  'pattern_heatmaps',
  'projections',
  'input_details',
  'shifted_probabilities',
  'feature_visualizations',
  'linkage_trees',
  'soft_memberships',
  'cluster_spaces',
  ...TRIAGE_TABLES,
  'layer_layouts',
  'input_contents',
];
