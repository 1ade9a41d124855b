package dev.sptsrag.inference.spts.ltp;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A rank-r truncated SVD {@code A ≈ U·diag(σ)·Vᵀ} of a dense row-major matrix, without a linear
 * algebra library: the randomized range finder with subspace iteration (Halko, Martinsson and Tropp,
 * 2011, algorithms 4.4 and 5.1), then an exact SVD of the small projected matrix.
 *
 * <pre>
 *   l = min(r + oversampling, min(m, n));  Ω = gaussian n × l
 *   Q = orth(A·Ω);  q times: Q = orth(A·orth(Aᵀ·Q))        (subspace iteration sharpens a slow spectrum)
 *   Bᵀ = Aᵀ·Q  (n × l) = Q₂·R  (modified Gram–Schmidt)       so A ≈ Q·B = Q·Rᵀ·Q₂ᵀ
 *   Rᵀ = Uc·Σ·Vcᵀ  (one-sided Jacobi on an l × l matrix)
 *   U = (Q·Uc)[:, :r],  V = (Q₂·Vc)[:, :r],  σ sorted descending
 * </pre>
 *
 * When l reaches min(m, n) the range finder spans A's whole range and the result is the exact SVD
 * up to rounding; otherwise its error is close to the best rank-r error {@code sqrt(Σ_{i>r} σᵢ²)}
 * when the spectrum decays. Everything is float64. Orthogonalisation runs Gram–Schmidt twice ("twice
 * is enough") and replaces a column that vanishes (a rank-deficient A) by a random orthogonal one, so
 * the bases stay orthonormal. Results depend only on the arguments (the seed fixes Ω).
 */
public final class TruncatedSvd {
    /** A column whose norm falls below this fraction of its original norm is linearly dependent. */
    private static final double DEPENDENT = 1e-10;
    /** A pair of columns counts as orthogonal when |cos(angle)| is below this per unit of length (rounding). */
    private static final double JACOBI_TOLERANCE = 0x1p-52;
    private static final int MAX_SWEEPS = 60;
    private static final int ROW_TILE = 8;
    private static final int COLUMN_TILE = 8;

    /**
     * {@code A ≈ left · diag(singularValues) · right}.
     *
     * @param left           U, row-major {@code rows × rank}, orthonormal columns
     * @param singularValues σ, descending, non-negative
     * @param right          Vᵀ, row-major {@code rank × cols}, orthonormal rows
     */
    public record Result(int rows, int cols, double[] left, double[] singularValues, double[] right) {
        public int rank() { return singularValues.length; }

        /** {@code U·diag(σ)·Vᵀ}, row-major {@code rows × cols}. */
        public double[] reconstruct() {
            int r = rank();
            double[] a = new double[rows * cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < r; j++) {
                    DenseKernels.axpy(left[i * r + j] * singularValues[j], right, j * cols, a, i * cols, cols);
                }
            }
            return a;
        }
    }

    private TruncatedSvd() {
    }

    /**
     * @param a              row-major {@code rows × cols}; not modified
     * @param rank           singular triplets to keep, in {@code 1..min(rows, cols)}
     * @param oversampling   extra random directions (Halko et al. suggest 5–10)
     * @param powerIterations subspace iterations (0–3; each costs two more products with A)
     * @param seed           fixes the random test matrix
     */
    public static Result compute(double[] a, int rows, int cols, int rank, int oversampling, int powerIterations,
                                 long seed) {
        if (rows <= 0 || cols <= 0 || (long) rows * cols != a.length) {
            throw new IllegalArgumentException("matrix of " + a.length + " values is not " + rows + " × " + cols);
        }
        if (rank < 1 || rank > Math.min(rows, cols)) {
            throw new IllegalArgumentException("rank " + rank + " outside 1.." + Math.min(rows, cols));
        }
        if (oversampling < 0 || powerIterations < 0) {
            throw new IllegalArgumentException("oversampling and power iterations must not be negative");
        }
        for (double v : a) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("matrix holds a non-finite value");
            }
        }
        int l = Math.min(rank + oversampling, Math.min(rows, cols));
        SplittableRandom random = new SplittableRandom(seed);

        double[][] omega = new double[l][cols];
        for (double[] column : omega) {
            fillGaussian(column, random);
        }
        double[][] q = new double[l][rows];
        multiply(a, rows, cols, omega, q);
        orthonormalize(q, null, random);
        double[][] z = omega; // reused: n-vectors from here on
        // With l = min(m, n) the sample A·Ω already spans A's whole range: iterating cannot improve it.
        int iterations = l == Math.min(rows, cols) ? 0 : powerIterations;
        for (int it = 0; it < iterations; it++) {
            multiplyTransposed(a, rows, cols, q, z);
            orthonormalize(z, null, random);
            multiply(a, rows, cols, z, q);
            orthonormalize(q, null, random);
        }
        // Bᵀ = Aᵀ·Q, one n-vector per column; its QR gives Bᵀ = Q₂·R.
        multiplyTransposed(a, rows, cols, q, z);
        double[][] r = new double[l][l]; // r[j] is row j of R (upper triangular)
        orthonormalize(z, r, random);

        // Rᵀ's columns are R's rows: orthogonalise them, accumulating the rotations in Vc.
        double[][] c = r;
        double[][] vc = new double[l][l];
        for (int j = 0; j < l; j++) {
            vc[j][j] = 1;
        }
        jacobi(c, vc, l);
        double[] sigma = new double[l];
        for (int j = 0; j < l; j++) {
            sigma[j] = Math.sqrt(DenseKernels.dot(c[j], 0, c[j], 0, l));
            if (sigma[j] > 0) {
                double inv = 1 / sigma[j];
                for (int k = 0; k < l; k++) {
                    c[j][k] *= inv; // column j of Uc
                }
            }
        }
        Integer[] order = new Integer[l];
        for (int j = 0; j < l; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (x, y) -> Double.compare(sigma[y], sigma[x]));
        // Uc's columns in descending σ; a zero σ leaves a zero column, which the (otherwise idle)
        // Gram–Schmidt pass completes to an orthonormal basis.
        double[][] uc = new double[l][];
        for (int t = 0; t < l; t++) {
            uc[t] = c[order[t]];
        }
        orthonormalize(uc, null, random);

        double[] left = new double[rows * rank];
        double[] right = new double[rank * cols];
        double[] values = new double[rank];
        double[] column = new double[Math.max(rows, cols)];
        for (int t = 0; t < rank; t++) {
            int j = order[t];
            values[t] = sigma[j];
            Arrays.fill(column, 0, rows, 0);
            for (int k = 0; k < l; k++) {
                DenseKernels.axpy(uc[t][k], q[k], 0, column, 0, rows); // U = Q·Uc
            }
            for (int i = 0; i < rows; i++) {
                left[i * rank + t] = column[i];
            }
            for (int k = 0; k < l; k++) {
                DenseKernels.axpy(vc[j][k], z[k], 0, right, t * cols, cols); // V = Q₂·Vc, stored as Vᵀ rows
            }
        }
        return new Result(rows, cols, left, values, right);
    }

    /** {@code out[j] = A·x[j]} for every column j; tiles of rows keep each x[j] in cache while it is reused. */
    private static void multiply(double[] a, int rows, int cols, double[][] x, double[][] out) {
        int tiles = (rows + ROW_TILE - 1) / ROW_TILE;
        IntStream.range(0, tiles).parallel().forEach(tile -> {
            int start = tile * ROW_TILE;
            int end = Math.min(rows, start + ROW_TILE);
            for (int j = 0; j < x.length; j++) {
                for (int i = start; i < end; i++) {
                    out[j][i] = DenseKernels.dot(a, i * cols, x[j], 0, cols);
                }
            }
        });
    }

    /** {@code out[j] = Aᵀ·y[j]} for every column j; each row of A is read once per tile of columns. */
    private static void multiplyTransposed(double[] a, int rows, int cols, double[][] y, double[][] out) {
        int tiles = (y.length + COLUMN_TILE - 1) / COLUMN_TILE;
        IntStream.range(0, tiles).parallel().forEach(tile -> {
            int start = tile * COLUMN_TILE;
            int end = Math.min(y.length, start + COLUMN_TILE);
            for (int j = start; j < end; j++) {
                Arrays.fill(out[j], 0);
            }
            for (int i = 0; i < rows; i++) {
                for (int j = start; j < end; j++) {
                    DenseKernels.axpy(y[j][i], a, i * cols, out[j], 0, cols);
                }
            }
        });
    }

    /**
     * Modified Gram–Schmidt, twice, in place: the columns become orthonormal. With {@code r} non-null
     * it also records R of the QR factorisation ({@code r[j][k]}: coefficient of column j in original
     * column k), where a dependent column gets a zero diagonal and a random orthogonal replacement.
     */
    private static void orthonormalize(double[][] columns, double[][] r, SplittableRandom random) {
        int len = columns[0].length;
        for (int k = 0; k < columns.length; k++) {
            double[] v = columns[k];
            double original = Math.sqrt(DenseKernels.dot(v, 0, v, 0, len));
            boolean replaced = false;
            while (true) {
                for (int pass = 0; pass < 2; pass++) {
                    for (int j = 0; j < k; j++) {
                        double p = DenseKernels.dot(columns[j], 0, v, 0, len);
                        DenseKernels.axpy(-p, columns[j], 0, v, 0, len);
                        if (r != null && !replaced) {
                            r[j][k] += p;
                        }
                    }
                }
                double norm = Math.sqrt(DenseKernels.dot(v, 0, v, 0, len));
                if (norm > DEPENDENT * original && norm > 0) {
                    if (r != null) {
                        r[k][k] = replaced ? 0 : norm;
                    }
                    double inv = 1 / norm;
                    for (int i = 0; i < len; i++) {
                        v[i] *= inv;
                    }
                    break;
                }
                // Dependent on the columns before it: continue the basis with a random direction.
                fillGaussian(v, random);
                original = Math.sqrt(DenseKernels.dot(v, 0, v, 0, len));
                replaced = true;
            }
        }
    }

    /**
     * One-sided Jacobi (Hestenes): rotates pairs of the n columns {@code c[j]} until all are mutually
     * orthogonal, applying the same rotations to {@code v}; then {@code C_original·V = C}.
     */
    private static void jacobi(double[][] c, double[][] v, int n) {
        double[] squares = new double[n];
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            // Squared column norms are updated by each rotation and recomputed once per sweep, so rounding
            // in the updates cannot accumulate.
            for (int j = 0; j < n; j++) {
                squares[j] = DenseKernels.dot(c[j], 0, c[j], 0, n);
            }
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = squares[p];
                    double beta = squares[q];
                    if (alpha == 0 || beta == 0) {
                        continue;
                    }
                    double gamma = DenseKernels.dot(c[p], 0, c[q], 0, n);
                    if (Math.abs(gamma) <= JACOBI_TOLERANCE * n * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.hypot(1, zeta));
                    double cos = 1 / Math.sqrt(1 + t * t);
                    double sin = cos * t;
                    DenseKernels.rotate(c[p], c[q], cos, sin, n);
                    DenseKernels.rotate(v[p], v[q], cos, sin, n);
                    squares[p] = alpha - t * gamma;
                    squares[q] = beta + t * gamma;
                }
            }
            if (!rotated) {
                return;
            }
        }
    }

    private static void fillGaussian(double[] v, SplittableRandom random) {
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
        }
    }
}
