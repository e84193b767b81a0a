using System.Numerics.Tensors;
using EmAlign.Diagnostics;

namespace EmAlign.Transforms;

/// <summary>
/// A dense displacement field u on a <see cref="VoxelGrid"/> of the FIXED space: T(p) = p + u(p) maps fixed physical
/// coordinates to moving physical coordinates (x, y, z, in <see cref="SpatialTransform.Unit"/>). Between grid points u is
/// interpolated trilinearly; beyond the grid it takes the nearest edge value (bigstream/ITK use zero there, which
/// would put a seam where a coarse field meets a finer output grid's last half voxel).
/// Components are held as three z, y, x float arrays.
/// </summary>
public sealed class DisplacementField : SpatialTransform
{
    /// <param name="grid">Where the displacements are sampled (its unit is the field's unit).</param>
    /// <param name="ux">x components, z, y, x order, grid.VoxelCount values; likewise <paramref name="uy"/>, <paramref name="uz"/>.</param>
    public DisplacementField(VoxelGrid grid, float[] ux, float[] uy, float[] uz) : base(grid.Unit)
    {
        ArgumentNullException.ThrowIfNull(grid);
        long n = grid.VoxelCount;
        if (n <= 0) throw new EmAlignException($"A displacement field needs at least one grid point; the grid is {grid}.", "grid");
        if (ux.Length != n || uy.Length != n || uz.Length != n)
            throw new ArgumentException($"Each component needs {n} values for the grid {grid}; got {ux.Length}, {uy.Length}, {uz.Length}.");
        Grid = grid;
        Ux = ux; Uy = uy; Uz = uz;
    }

    public override string Kind => "displacement_field";

    public VoxelGrid Grid { get; }

    /// <summary>Displacement components (physical units), z, y, x order.</summary>
    public float[] Ux { get; }
    public float[] Uy { get; }
    public float[] Uz { get; }

    /// <summary>Samples <paramref name="transform"/> at every point of <paramref name="grid"/>: u(p) = T(p) - p. Rows run in parallel.</summary>
    public static DisplacementField FromTransform(SpatialTransform transform, VoxelGrid grid, int maxParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(transform);
        grid = grid.InUnit(transform.Unit);
        long n = grid.VoxelCount;
        var ux = new float[n];
        var uy = new float[n];
        var uz = new float[n];
        int nx = (int)grid.SizeX, ny = (int)grid.SizeY, nz = (int)grid.SizeZ;
        Parallel.For(0, ny * nz, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism },
            () => (new double[nx], new double[nx], new double[nx]),
            (row, _, buf) =>
            {
                var (px, py, pz) = buf;
                int y = row % ny, z = row / ny;
                double yy = grid.OriginY + y * grid.SpacingY, zz = grid.OriginZ + z * grid.SpacingZ;
                for (int x = 0; x < nx; x++) { px[x] = grid.OriginX + x * grid.SpacingX; py[x] = yy; pz[x] = zz; }
                transform.TransformPoints(px, py, pz);
                long o = (long)row * nx;
                for (int x = 0; x < nx; x++)
                {
                    ux[o + x] = (float)(px[x] - (grid.OriginX + x * grid.SpacingX));
                    uy[o + x] = (float)(py[x] - yy);
                    uz[o + x] = (float)(pz[x] - zz);
                }
                return buf;
            }, _ => { });
        return new DisplacementField(grid, ux, uy, uz);
    }

    public override void TransformPoints(Span<double> x, Span<double> y, Span<double> z)
    {
        CheckLengths(x, y, z);
        var g = Grid;
        long nx = g.SizeX, ny = g.SizeY, nz = g.SizeZ;
        for (int i = 0; i < x.Length; i++)
        {
            double fx = Math.Clamp((x[i] - g.OriginX) / g.SpacingX, 0, nx - 1);
            double fy = Math.Clamp((y[i] - g.OriginY) / g.SpacingY, 0, ny - 1);
            double fz = Math.Clamp((z[i] - g.OriginZ) / g.SpacingZ, 0, nz - 1);
            if (double.IsNaN(fx + fy + fz)) { x[i] = y[i] = z[i] = double.NaN; continue; }
            long x0 = Math.Min((long)fx, Math.Max(nx - 2, 0)), y0 = Math.Min((long)fy, Math.Max(ny - 2, 0)), z0 = Math.Min((long)fz, Math.Max(nz - 2, 0));
            double tx = fx - x0, ty = fy - y0, tz = fz - z0;
            long sx = nx > 1 ? 1 : 0, sy = ny > 1 ? nx : 0, sz = nz > 1 ? nx * ny : 0;
            long b = (z0 * ny + y0) * nx + x0;
            x[i] += Trilinear(Ux, b, sx, sy, sz, tx, ty, tz);
            y[i] += Trilinear(Uy, b, sx, sy, sz, tx, ty, tz);
            z[i] += Trilinear(Uz, b, sx, sy, sz, tx, ty, tz);
        }
    }

    private static double Trilinear(float[] u, long b, long sx, long sy, long sz, double tx, double ty, double tz)
    {
        double c00 = u[b] + tx * (u[b + sx] - u[b]);
        double c10 = u[b + sy] + tx * (u[b + sy + sx] - u[b + sy]);
        double c01 = u[b + sz] + tx * (u[b + sz + sx] - u[b + sz]);
        double c11 = u[b + sz + sy] + tx * (u[b + sz + sy + sx] - u[b + sz + sy]);
        double c0 = c00 + ty * (c10 - c00), c1 = c01 + ty * (c11 - c01);
        return c0 + tz * (c1 - c0);
    }

    public override SpatialTransform InUnit(string unit)
    {
        double f = Units.Scale(Unit, unit);
        if (f == 1) return Unit == unit ? this : new DisplacementField(Grid with { Unit = unit }, Ux, Uy, Uz);
        float ff = (float)f;
        float[] Scale(float[] u)
        {
            var r = new float[u.Length];
            TensorPrimitives.Multiply(u, ff, r);
            return r;
        }
        return new DisplacementField(Grid.InUnit(unit), Scale(Ux), Scale(Uy), Scale(Uz));
    }

    public override string ToString() => $"displacement field on {Grid}";
}
