using EmAlign.Transforms;

namespace EmAlign.Features;

/// <summary>
/// Synthetic light-microscopy-like volumes for tests, benchmarks and demos: Gaussian blobs of random size and brightness
/// at random physical positions (the fixed image), and the same blobs seen through a known fixed → moving affine
/// (moving(y) = fixed(T⁻¹(y)), rendered analytically rather than resampled), each with its own noise.
/// Physical coordinates are x, y, z in the grid's unit.
/// </summary>
public static class SyntheticBlobs
{
    /// <summary>One blob: centre (physical), Gaussian sigma (physical) and peak amplitude.</summary>
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
    /// Renders the blobs as seen through <paramref name="fixedToMoving"/> (identity for the fixed image) on
    /// <paramref name="grid"/>: the value at voxel centre y is Σ a·exp(-|T⁻¹(y) - p|² / 2σ²), plus background and noise.
    /// </summary>
    public static float[] Render(VoxelGrid grid, Blob[] blobs, AffineTransform3D fixedToMoving, double noise, int seed, float background = 100)
    {
        ArgumentNullException.ThrowIfNull(fixedToMoving);
        // The image of a blob's 4-sigma sphere stretches by at most the largest row norm of A.
        double stretch = 0;
        for (int r = 0; r < 3; r++) stretch = Math.Max(stretch, Math.Sqrt(fixedToMoving[r, 0] * fixedToMoving[r, 0] + fixedToMoving[r, 1] * fixedToMoving[r, 1] + fixedToMoving[r, 2] * fixedToMoving[r, 2]));
        return Render(grid, blobs, fixedToMoving.Inverse(), stretch, noise, seed, background);
    }

    /// <summary>
    /// Renders the blobs through a general deformation given by its inverse <paramref name="movingToFixed"/> (S = T⁻¹, a
    /// smooth map close to a rigid one): moving(y) = Σ a·exp(-|S(y) - p|² / 2σ²) plus background and noise.
    /// <paramref name="stretch"/> bounds how much T enlarges a blob (1 for rigid maps).
    /// </summary>
    public static float[] Render(VoxelGrid grid, Blob[] blobs, SpatialTransform movingToFixed, double stretch, double noise, int seed, float background = 100)
    {
        ArgumentNullException.ThrowIfNull(movingToFixed);
        int nx = (int)grid.SizeX, ny = (int)grid.SizeY, nz = (int)grid.SizeZ;
        var sums = new double[(long)nx * ny * nz];
        var locks = new object[nz];
        for (int z = 0; z < nz; z++) locks[z] = new object();
        Parallel.ForEach(blobs, b =>
        {
            var c = Preimage(movingToFixed, b.X, b.Y, b.Z);
            var (ci, cj, ck) = grid.ToVoxel(c.X, c.Y, c.Z);
            double reach = 4 * b.Sigma * stretch * 1.05;
            int hx = (int)Math.Ceiling(reach / grid.SpacingX), hy = (int)Math.Ceiling(reach / grid.SpacingY);
            int hz = grid.IsPlanar ? 0 : (int)Math.Ceiling(reach / grid.SpacingZ);
            double inv2s2 = 1 / (2 * b.Sigma * b.Sigma);
            int x0 = Math.Max(0, (int)Math.Floor(ci) - hx), x1 = Math.Min(nx - 1, (int)Math.Ceiling(ci) + hx);
            if (x1 < x0) return;
            var (px, py, pz) = (new double[x1 - x0 + 1], new double[x1 - x0 + 1], new double[x1 - x0 + 1]);
            for (int z = Math.Max(0, (int)Math.Floor(ck) - hz); z <= Math.Min(nz - 1, (int)Math.Ceiling(ck) + hz); z++)
                lock (locks[z])
                    for (int y = Math.Max(0, (int)Math.Floor(cj) - hy); y <= Math.Min(ny - 1, (int)Math.Ceiling(cj) + hy); y++)
                    {
                        for (int x = x0; x <= x1; x++) (px[x - x0], py[x - x0], pz[x - x0]) = grid.ToPhysical(x, y, z);
                        movingToFixed.TransformPoints(px, py, pz);
                        for (int x = x0; x <= x1; x++)
                        {
                            double dx = px[x - x0] - b.X, dy = py[x - x0] - b.Y, dz = grid.IsPlanar ? 0 : pz[x - x0] - b.Z;
                            double d2 = dx * dx + dy * dy + dz * dz;
                            if (d2 < 16 * b.Sigma * b.Sigma) sums[((long)z * ny + y) * nx + x] += b.Amplitude * Math.Exp(-d2 * inv2s2);
                        }
                    }
        });
        var rng = new Random(seed);
        var image = new float[sums.Length];
        for (long i = 0; i < image.Length; i++) image[i] = (float)(background + sums[i] + noise * Gaussian(rng));
        return image;
    }

    /// <summary>
    /// The point q with S(q) = p for a map S close to a rigid motion, by Newton steps with a finite-difference Jacobian
    /// (where a blob centre lands in the moving image).
    /// </summary>
    public static (double X, double Y, double Z) Preimage(SpatialTransform movingToFixed, double x, double y, double z)
    {
        ArgumentNullException.ThrowIfNull(movingToFixed);
        double qx = x, qy = y, qz = z;
        for (int it = 0; it < 30; it++)
        {
            var s = movingToFixed.Apply(qx, qy, qz);
            double rx = s.X - x, ry = s.Y - y, rz = s.Z - z;
            if (rx * rx + ry * ry + rz * rz < 1e-18 * (1 + x * x + y * y + z * z)) break;
            double h = 1e-3 * (1 + Math.Abs(qx) + Math.Abs(qy) + Math.Abs(qz));
            var jx = movingToFixed.Apply(qx + h, qy, qz);
            var jy = movingToFixed.Apply(qx, qy + h, qz);
            var jz = movingToFixed.Apply(qx, qy, qz + h);
            var j = new AffineTransform3D([
                (jx.X - s.X) / h, (jy.X - s.X) / h, (jz.X - s.X) / h, 0,
                (jx.Y - s.Y) / h, (jy.Y - s.Y) / h, (jz.Y - s.Y) / h, 0,
                (jx.Z - s.Z) / h, (jy.Z - s.Z) / h, (jz.Z - s.Z) / h, 0], movingToFixed.Unit);
            var step = j.Inverse().Apply(rx, ry, rz);
            qx -= step.X; qy -= step.Y; qz -= step.Z;
        }
        return (qx, qy, qz);
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
