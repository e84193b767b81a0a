using EmAlign.Transforms;

namespace EmAlign.Tests.Features;

/// <summary>
/// A synthetic light-microscopy-like pair: Gaussian blobs of random size and brightness at random physical positions
/// (fixed), and the same blobs seen through a known fixed → moving transform (moving(y) = fixed(T⁻¹(y)), rendered
/// analytically, not resampled), each with independent noise over a constant background.
/// </summary>
internal static class BlobPhantom
{
    public sealed record Blob(double X, double Y, double Z, double Sigma, double Amplitude);

    /// <summary>Random blobs inside the grid's physical extent (sigma physical, between the given bounds).</summary>
    public static Blob[] RandomBlobs(VoxelGrid grid, int count, double minSigma, double maxSigma, int seed)
    {
        var rng = new Random(seed);
        var (x1, y1, z1) = grid.ToPhysical(grid.SizeX - 1, grid.SizeY - 1, grid.SizeZ - 1);
        return [.. Enumerable.Range(0, count).Select(_ => new Blob(
            grid.OriginX + rng.NextDouble() * (x1 - grid.OriginX), grid.OriginY + rng.NextDouble() * (y1 - grid.OriginY),
            grid.IsPlanar ? grid.OriginZ : grid.OriginZ + rng.NextDouble() * (z1 - grid.OriginZ),
            minSigma + rng.NextDouble() * (maxSigma - minSigma), 400 + 600 * rng.NextDouble()))];
    }

    /// <summary>
    /// Renders the blobs as seen through <paramref name="fixedToMoving"/> (an affine; identity for the fixed image) on
    /// <paramref name="grid"/>: value at voxel centre y is Σ a·exp(-|A⁻¹(y - t) - p|² / 2σ²), plus background and noise.
    /// </summary>
    public static float[] Render(VoxelGrid grid, Blob[] blobs, AffineTransform3D fixedToMoving, double noise, int seed, float background = 100)
    {
        var inverse = fixedToMoving.Inverse();
        int nx = (int)grid.SizeX, ny = (int)grid.SizeY, nz = (int)grid.SizeZ;
        var image = new float[(long)nx * ny * nz];
        var sums = new double[image.Length];
        // The image of a blob's 4-sigma sphere under the affine fits in a box of half-width 4σ·(row norm of A).
        double[] rowNorm = new double[3];
        for (int r = 0; r < 3; r++) rowNorm[r] = Math.Sqrt(fixedToMoving[r, 0] * fixedToMoving[r, 0] + fixedToMoving[r, 1] * fixedToMoving[r, 1] + fixedToMoving[r, 2] * fixedToMoving[r, 2]);
        var locks = new object[nz];
        for (int z = 0; z < nz; z++) locks[z] = new object();
        Parallel.ForEach(blobs, b =>
        {
            var c = fixedToMoving.Apply(b.X, b.Y, b.Z);
            var (ci, cj, ck) = grid.ToVoxel(c.X, c.Y, c.Z);
            int hx = (int)Math.Ceiling(4 * b.Sigma * rowNorm[0] / grid.SpacingX), hy = (int)Math.Ceiling(4 * b.Sigma * rowNorm[1] / grid.SpacingY);
            int hz = grid.IsPlanar ? 0 : (int)Math.Ceiling(4 * b.Sigma * rowNorm[2] / grid.SpacingZ);
            double inv2s2 = 1 / (2 * b.Sigma * b.Sigma);
            for (int z = Math.Max(0, (int)ck - hz); z <= Math.Min(nz - 1, (int)ck + hz + 1); z++)
                lock (locks[z])
                    for (int y = Math.Max(0, (int)cj - hy); y <= Math.Min(ny - 1, (int)cj + hy + 1); y++)
                        for (int x = Math.Max(0, (int)ci - hx); x <= Math.Min(nx - 1, (int)ci + hx + 1); x++)
                        {
                            var (px, py, pz) = grid.ToPhysical(x, y, z);
                            var p = inverse.Apply(px, py, pz);
                            double d2 = (p.X - b.X) * (p.X - b.X) + (p.Y - b.Y) * (p.Y - b.Y) + (grid.IsPlanar ? 0 : (p.Z - b.Z) * (p.Z - b.Z));
                            if (d2 < 16 * b.Sigma * b.Sigma) sums[((long)z * ny + y) * nx + x] += b.Amplitude * Math.Exp(-d2 * inv2s2);
                        }
        });
        var rng = new Random(seed);
        for (long i = 0; i < image.Length; i++) image[i] = (float)(background + sums[i] + noise * Gaussian(rng));
        return image;
    }

    /// <summary>Mean over the grid's voxels of |T1(p) - T2(p)|, each axis measured in that axis's voxels.</summary>
    public static double MeanVoxelError(SpatialTransform a, SpatialTransform b, VoxelGrid grid, int step = 4)
    {
        double sum = 0;
        long count = 0;
        for (long z = 0; z < grid.SizeZ; z += Math.Max(1, grid.SizeZ > step ? step : 1))
            for (long y = 0; y < grid.SizeY; y += step)
                for (long x = 0; x < grid.SizeX; x += step)
                {
                    var (px, py, pz) = grid.ToPhysical(x, y, z);
                    var p = a.Apply(px, py, pz);
                    var q = b.Apply(px, py, pz);
                    double dx = (p.X - q.X) / grid.SpacingX, dy = (p.Y - q.Y) / grid.SpacingY, dz = (p.Z - q.Z) / grid.SpacingZ;
                    sum += Math.Sqrt(dx * dx + dy * dy + dz * dz);
                    count++;
                }
        return sum / count;
    }

    /// <summary>A general affine: rotations (degrees) about z then x, per-axis scales, an xy shear and a translation, about the grid's centre.</summary>
    public static AffineTransform3D KnownAffine(VoxelGrid grid, double rotZ, double rotX, (double X, double Y, double Z) scale, double shearXY,
        (double X, double Y, double Z) translation)
    {
        double a = rotZ * Math.PI / 180, b = rotX * Math.PI / 180;
        double[,] rz = { { Math.Cos(a), -Math.Sin(a), 0 }, { Math.Sin(a), Math.Cos(a), 0 }, { 0, 0, 1 } };
        double[,] rx = { { 1, 0, 0 }, { 0, Math.Cos(b), -Math.Sin(b) }, { 0, Math.Sin(b), Math.Cos(b) } };
        double[,] s = { { scale.X, shearXY, 0 }, { 0, scale.Y, 0 }, { 0, 0, scale.Z } };
        var m = Mul(Mul(rz, rx), s);
        var (cx, cy, cz) = grid.ToPhysical((grid.SizeX - 1) / 2.0, (grid.SizeY - 1) / 2.0, (grid.SizeZ - 1) / 2.0);
        double[] c = [cx, cy, cz], t = [translation.X, translation.Y, translation.Z];
        var p = new double[12];
        for (int r = 0; r < 3; r++)
        {
            for (int k = 0; k < 3; k++) p[4 * r + k] = m[r, k];
            // rotate about the centre: T(p) = M (p - c) + c + t
            p[4 * r + 3] = c[r] + t[r] - (m[r, 0] * c[0] + m[r, 1] * c[1] + m[r, 2] * c[2]);
        }
        return new AffineTransform3D(p, grid.Unit);
    }

    private static double[,] Mul(double[,] a, double[,] b)
    {
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) r[i, j] += a[i, k] * b[k, j];
        return r;
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
