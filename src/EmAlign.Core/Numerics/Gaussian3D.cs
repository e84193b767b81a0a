using System.Numerics.Tensors;

namespace EmAlign.Numerics;

/// <summary>
/// Separable filtering of float volumes held as z, y, x (C order, x fastest), with mirrored ("reflect",
/// half-sample symmetric) borders. Sigmas are in voxels per axis, so anisotropic voxels take anisotropic
/// sigmas. Every pass is a sum of shifted rows scaled by one tap (SIMD through TensorPrimitives), run in
/// parallel over blocks of rows.
/// </summary>
public static class Gaussian3D
{
    private const int RowsPerTask = 32;

    /// <summary>
    /// Convolves <paramref name="src"/> along one axis (0 = x, 1 = y, 2 = z) with the odd-length
    /// <paramref name="kernel"/> centred on its middle tap, writing <paramref name="dst"/> (must not be <paramref name="src"/>).
    /// </summary>
    public static void ConvolveAxis(float[] src, float[] dst, int nx, int ny, int nz, int axis, float[] kernel, int maxParallelism = -1)
    {
        long n = (long)nx * ny * nz;
        if (src.Length < n || dst.Length < n) throw new ArgumentException($"Buffers hold {src.Length} and {dst.Length} values; the volume {nx}x{ny}x{nz} needs {n}.");
        if (ReferenceEquals(src, dst)) throw new ArgumentException("Source and destination must differ.", nameof(dst));
        if ((kernel.Length & 1) == 0) throw new ArgumentException("The kernel length must be odd.", nameof(kernel));
        int rows = ny * nz;
        int tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        var po = new ParallelOptions { MaxDegreeOfParallelism = maxParallelism };
        int r = kernel.Length / 2;
        switch (axis)
        {
            case 0:
                Parallel.For(0, tasks, po, () => new float[nx + 2 * r], (t, _, pad) =>
                {
                    for (int row = t * RowsPerTask, end = Math.Min(rows, row + RowsPerTask); row < end; row++)
                    {
                        var line = src.AsSpan(row * nx, nx);
                        for (int i = 0; i < pad.Length; i++) pad[i] = line[Reflect(i - r, nx)];
                        var acc = dst.AsSpan(row * nx, nx);
                        TensorPrimitives.Multiply(pad.AsSpan(0, nx), kernel[0], acc);
                        for (int j = 1; j < kernel.Length; j++) TensorPrimitives.MultiplyAdd(pad.AsSpan(j, nx), kernel[j], acc, acc);
                    }
                    return pad;
                }, _ => { });
                break;
            case 1:
            case 2:
                Parallel.For(0, tasks, po, t =>
                {
                    for (int row = t * RowsPerTask, end = Math.Min(rows, row + RowsPerTask); row < end; row++)
                    {
                        int z = row / ny, y = row % ny;
                        var acc = dst.AsSpan(row * nx, nx);
                        for (int j = 0; j < kernel.Length; j++)
                        {
                            int srcRow = axis == 1 ? z * ny + Reflect(y + j - r, ny) : Reflect(z + j - r, nz) * ny + y;
                            var line = src.AsSpan(srcRow * nx, nx);
                            if (j == 0) TensorPrimitives.Multiply(line, kernel[0], acc);
                            else TensorPrimitives.MultiplyAdd(line, kernel[j], acc, acc);
                        }
                    }
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(axis), axis, "Expected 0 (x), 1 (y) or 2 (z).");
        }
    }

    /// <summary>
    /// Gaussian-blurs <paramref name="volume"/> in place with per-axis standard deviations in voxels (0 skips an axis),
    /// using <paramref name="scratch"/> (same length) as the intermediate buffer.
    /// </summary>
    public static void Blur(float[] volume, float[] scratch, int nx, int ny, int nz, double sigmaX, double sigmaY, double sigmaZ, int maxParallelism = -1)
    {
        double[] sigmas = [sigmaX, sigmaY, sigmaZ];
        int[] sizes = [nx, ny, nz];
        float[] a = volume, b = scratch;
        for (int axis = 0; axis < 3; axis++)
        {
            if (sigmas[axis] <= 0 || sizes[axis] == 1) continue;
            ConvolveAxis(a, b, nx, ny, nz, axis, GaussianBlur.Kernel(sigmas[axis]), maxParallelism);
            (a, b) = (b, a);
        }
        if (!ReferenceEquals(a, volume)) a.AsSpan(0, nx * ny * nz).CopyTo(volume);
    }

    /// <summary>Reflects an index into [0, n) (… 1 0 | 0 1 … n-1 | n-1 n-2 …), periodic for kernels longer than the axis.</summary>
    internal static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * n;
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - 1 - i;
    }
}
