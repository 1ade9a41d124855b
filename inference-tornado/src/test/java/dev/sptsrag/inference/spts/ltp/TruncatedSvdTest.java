package dev.sptsrag.inference.spts.ltp;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The truncated SVD against matrices built as {@code U·diag(σ)·Vᵀ} with known singular values. */
class TruncatedSvdTest {

    @Test
    void recoversTheLeadingSingularValuesAndTheOptimalErrorOfADecayingSpectrum() {
        int m = 60, n = 90, k = 40, rank = 12;
        double[] sigma = new double[k];
        for (int i = 0; i < k; i++) {
            sigma[i] = 10 * Math.pow(0.75, i);
        }
        double[] a = construct(m, n, sigma, 1);
        TruncatedSvd.Result svd = TruncatedSvd.compute(a, m, n, rank, 8, 2, 3);

        for (int i = 0; i < rank; i++) {
            assertEquals(sigma[i], svd.singularValues()[i], 1e-6 * sigma[0], "σ" + i);
        }
        double optimal = 0;
        for (int i = rank; i < k; i++) {
            optimal += sigma[i] * sigma[i];
        }
        optimal = Math.sqrt(optimal);
        double error = frobenius(a, svd.reconstruct());
        System.out.printf("rank %d of %d: ‖A − A_r‖_F = %.6e, optimal %.6e%n", rank, k, error, optimal);
        assertTrue(error >= optimal * (1 - 1e-9), "no rank-r matrix beats the optimal error");
        assertTrue(error <= optimal * 1.001, "error " + error + " vs optimal " + optimal);
        assertOrthonormalColumns(svd.left(), m, rank);
        assertOrthonormalRows(svd.right(), rank, n);
    }

    @Test
    void aRankAtLeastTheMatrixRankReconstructsItExactly() {
        int m = 35, n = 20;
        double[] sigma = {5, 4, 3, 2.5, 1, 0.5, 0.25};
        double[] a = construct(m, n, sigma, 7);
        TruncatedSvd.Result svd = TruncatedSvd.compute(a, m, n, 10, 4, 1, 11);
        assertTrue(frobenius(a, svd.reconstruct()) < 1e-12 * sigma[0]);
        for (int i = 0; i < sigma.length; i++) {
            assertEquals(sigma[i], svd.singularValues()[i], 1e-12 * sigma[0]);
        }
        for (int i = sigma.length; i < 10; i++) {
            assertEquals(0, svd.singularValues()[i], 1e-12 * sigma[0], "zero singular value " + i);
        }
        assertOrthonormalColumns(svd.left(), m, 10);
        assertOrthonormalRows(svd.right(), 10, n);
    }

    @Test
    void fullRankOfAWideRandomMatrixIsExactWithoutOversampling() {
        int m = 16, n = 50;
        double[] a = new SplittableRandom(5).doubles(m * n, -1, 1).toArray();
        TruncatedSvd.Result svd = TruncatedSvd.compute(a, m, n, m, 0, 0, 1);
        assertTrue(frobenius(a, svd.reconstruct()) < 1e-12 * Math.sqrt(m * n));
        for (int i = 1; i < m; i++) {
            assertTrue(svd.singularValues()[i] <= svd.singularValues()[i - 1], "descending");
        }
    }

    @Test
    void theZeroMatrixHasZeroSingularValuesAndOrthonormalFactors() {
        TruncatedSvd.Result svd = TruncatedSvd.compute(new double[12 * 9], 12, 9, 4, 2, 1, 1);
        for (double s : svd.singularValues()) {
            assertEquals(0, s);
        }
        assertOrthonormalColumns(svd.left(), 12, 4);
        assertOrthonormalRows(svd.right(), 4, 9);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> TruncatedSvd.compute(new double[6], 2, 4, 1, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> TruncatedSvd.compute(new double[6], 2, 3, 3, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> TruncatedSvd.compute(new double[6], 2, 3, 0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> TruncatedSvd.compute(new double[6], 2, 3, 1, -1, 0, 1));
        double[] nan = new double[6];
        nan[3] = Double.NaN;
        assertThrows(IllegalArgumentException.class, () -> TruncatedSvd.compute(nan, 2, 3, 1, 0, 0, 1));
    }

    /** {@code U·diag(σ)·Vᵀ} with random orthonormal U (m × k) and V (n × k). */
    static double[] construct(int m, int n, double[] sigma, long seed) {
        int k = sigma.length;
        SplittableRandom random = new SplittableRandom(seed);
        double[][] u = orthonormal(k, m, random);
        double[][] v = orthonormal(k, n, random);
        double[] a = new double[m * n];
        for (int t = 0; t < k; t++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    a[i * n + j] += u[t][i] * sigma[t] * v[t][j];
                }
            }
        }
        return a;
    }

    /** k orthonormal vectors of length len (plain Gram–Schmidt twice, independent of the code under test). */
    private static double[][] orthonormal(int k, int len, SplittableRandom random) {
        double[][] q = new double[k][len];
        for (int t = 0; t < k; t++) {
            for (int i = 0; i < len; i++) {
                q[t][i] = random.nextGaussian();
            }
            for (int pass = 0; pass < 2; pass++) {
                for (int s = 0; s < t; s++) {
                    double p = 0;
                    for (int i = 0; i < len; i++) {
                        p += q[s][i] * q[t][i];
                    }
                    for (int i = 0; i < len; i++) {
                        q[t][i] -= p * q[s][i];
                    }
                }
            }
            double norm = 0;
            for (int i = 0; i < len; i++) {
                norm += q[t][i] * q[t][i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < len; i++) {
                q[t][i] /= norm;
            }
        }
        return q;
    }

    private static double frobenius(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }

    private static void assertOrthonormalColumns(double[] x, int rows, int cols) {
        for (int p = 0; p < cols; p++) {
            for (int q = 0; q < cols; q++) {
                double d = 0;
                for (int i = 0; i < rows; i++) {
                    d += x[i * cols + p] * x[i * cols + q];
                }
                assertEquals(p == q ? 1 : 0, d, 1e-10, "columns " + p + ", " + q);
            }
        }
    }

    private static void assertOrthonormalRows(double[] x, int rows, int cols) {
        for (int p = 0; p < rows; p++) {
            for (int q = 0; q < rows; q++) {
                double d = 0;
                for (int j = 0; j < cols; j++) {
                    d += x[p * cols + j] * x[q * cols + j];
                }
                assertEquals(p == q ? 1 : 0, d, 1e-10, "rows " + p + ", " + q);
            }
        }
    }
}
