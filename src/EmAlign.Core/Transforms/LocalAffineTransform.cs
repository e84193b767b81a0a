using EmAlign.Diagnostics;

namespace EmAlign.Transforms;

/// <summary>
/// Blockwise ("piecewise") affines on a fixed grid, blended into one smooth map from FIXED physical coordinates to
/// MOVING physical coordinates (x, y, z, in <see cref="SpatialTransform.Unit"/>). The grid is cut into blocks of
/// <see cref="BlockSize"/> voxels; each block's affine (in the volume frame) holds in the block's core, and across the
/// 2·overlap-voxel band around each inner block border the two neighbours' maps are mixed with bigstream's linear ramps
/// (rising over 2·overlap - 1 voxels), so the weights sum to one everywhere; faces at the volume border keep weight one.
/// With overlap = BlockSize/2 (bigstream's default 0.5) the blend is a trilinear interpolation between block affines.
/// Blocks without an estimate take the mean of their estimated (or already filled) neighbours, ring by ring.
/// In a chain this usually comes after a global affine: [global, local] maps x to global(local(x)).
/// </summary>
public sealed class LocalAffineTransform : SpatialTransform
{
    private readonly double[] _params; // 12 per block, blocks in z, y, x order

    /// <param name="grid">The fixed grid the blocks tile (block (0,0,0) starts at its voxel 0).</param>
    /// <param name="blockSize">Block core size in grid voxels, x, y, z.</param>
    /// <param name="overlap">Blend half-width in voxels per axis, 1 to blockSize/2 (bigstream: round(0.5 * blockSize)).</param>
    /// <param name="affines">One per block (z, y, x order of blocks), null where the block has no estimate.</param>
    public LocalAffineTransform(VoxelGrid grid, (int X, int Y, int Z) blockSize, (int X, int Y, int Z) overlap, IReadOnlyList<AffineTransform3D?> affines)
        : base(grid.Unit)
    {
        ArgumentNullException.ThrowIfNull(affines);
        Grid = grid;
        BlockSize = blockSize;
        Overlap = overlap;
        CheckAxis("x", grid.SizeX, blockSize.X, overlap.X);
        CheckAxis("y", grid.SizeY, blockSize.Y, overlap.Y);
        CheckAxis("z", grid.SizeZ, blockSize.Z, overlap.Z);
        BlockCounts = (CeilDiv(grid.SizeX, blockSize.X), CeilDiv(grid.SizeY, blockSize.Y), CeilDiv(grid.SizeZ, blockSize.Z));
        int n = BlockCounts.X * BlockCounts.Y * BlockCounts.Z;
        if (affines.Count != n)
            throw new ArgumentException($"The block grid {BlockCounts.X}x{BlockCounts.Y}x{BlockCounts.Z} needs {n} affines; got {affines.Count}.", nameof(affines));
        Estimated = [.. affines.Select(a => a is not null)];
        if (!Estimated.Contains(true))
            throw new EmAlignException($"None of the {n} blocks has an affine: expected at least one estimated block.", "affines");
        _params = new double[12 * n];
        for (int b = 0; b < n; b++)
            if (affines[b] is { } a) a.InUnitAffine(Unit).GetParameters().CopyTo(_params.AsSpan(12 * b, 12));
        FillMissing();
    }

    private LocalAffineTransform(LocalAffineTransform source, string unit, double scale) : base(unit)
    {
        Grid = source.Grid.InUnit(unit);
        BlockSize = source.BlockSize;
        Overlap = source.Overlap;
        BlockCounts = source.BlockCounts;
        Estimated = source.Estimated;
        _params = (double[])source._params.Clone();
        // Only translations carry a unit.
        for (int b = 0; b < _params.Length; b += 12) { _params[b + 3] *= scale; _params[b + 7] *= scale; _params[b + 11] *= scale; }
    }

    public override string Kind => "local_affines";

    public VoxelGrid Grid { get; }

    public (int X, int Y, int Z) BlockSize { get; }

    public (int X, int Y, int Z) Overlap { get; }

    /// <summary>Number of blocks along x, y and z.</summary>
    public (int X, int Y, int Z) BlockCounts { get; }

    /// <summary>Per block (z, y, x order), whether its affine was estimated (false: filled from neighbours).</summary>
    public IReadOnlyList<bool> Estimated { get; }

    /// <summary>How many blocks have an estimated (not filled) affine.</summary>
    public int EstimatedBlocks => Estimated.Count(e => e);

    /// <summary>The affine of block (bx, by, bz), in the volume frame.</summary>
    public AffineTransform3D BlockAffine(int bx, int by, int bz) =>
        new(_params.AsSpan(12 * ((bz * BlockCounts.Y + by) * BlockCounts.X + bx), 12), Unit);

    /// <summary>
    /// The blending weight of block <paramref name="block"/> at grid coordinate <paramref name="u"/> (voxels, fractional)
    /// along one axis with <paramref name="blockCount"/> blocks; over all blocks the weights sum to one.
    /// </summary>
    public static double RampWeight(double u, int block, int blockCount, int blockSize, int overlap)
    {
        Blend(u, blockCount, blockSize, overlap, out int i0, out double w0, out int i1, out double w1);
        return (block == i0 ? w0 : 0) + (block == i1 ? w1 : 0);
    }

    public override void TransformPoints(Span<double> x, Span<double> y, Span<double> z)
    {
        CheckLengths(x, y, z);
        var g = Grid;
        var (nx, ny, nz) = BlockCounts;
        Span<double> m = stackalloc double[12];
        for (int i = 0; i < x.Length; i++)
        {
            Blend((x[i] - g.OriginX) / g.SpacingX, nx, BlockSize.X, Overlap.X, out int ax, out double wax, out int bx, out double wbx);
            Blend((y[i] - g.OriginY) / g.SpacingY, ny, BlockSize.Y, Overlap.Y, out int ay, out double way, out int by, out double wby);
            Blend((z[i] - g.OriginZ) / g.SpacingZ, nz, BlockSize.Z, Overlap.Z, out int az, out double waz, out int bz, out double wbz);
            m.Clear();
            for (int c = 0; c < 8; c++)
            {
                double w = ((c & 1) == 0 ? wax : wbx) * ((c & 2) == 0 ? way : wby) * ((c & 4) == 0 ? waz : wbz);
                if (w == 0) continue;
                int block = (((c & 4) == 0 ? az : bz) * ny + ((c & 2) == 0 ? ay : by)) * nx + ((c & 1) == 0 ? ax : bx);
                var p = _params.AsSpan(12 * block, 12);
                for (int k = 0; k < 12; k++) m[k] += w * p[k];
            }
            double px = x[i], py = y[i], pz = z[i];
            x[i] = m[0] * px + m[1] * py + m[2] * pz + m[3];
            y[i] = m[4] * px + m[5] * py + m[6] * pz + m[7];
            z[i] = m[8] * px + m[9] * py + m[10] * pz + m[11];
        }
    }

    /// <summary>The blended map sampled as a displacement field on <paramref name="grid"/> (e.g. this transform's own grid).</summary>
    public DisplacementField ToDisplacementField(VoxelGrid grid, int maxParallelism = -1) => DisplacementField.FromTransform(this, grid, maxParallelism);

    public override SpatialTransform InUnit(string unit) => Unit == unit ? this : new LocalAffineTransform(this, unit, Units.Scale(Unit, unit));

    public override string ToString() =>
        $"local affines: {BlockCounts.X}x{BlockCounts.Y}x{BlockCounts.Z} blocks of {BlockSize.X}x{BlockSize.Y}x{BlockSize.Z} voxels ({Estimated.Count(e => e)} estimated) on {Grid}";

    /// <summary>
    /// Along one axis: the (at most two) blocks covering grid coordinate u and their weights. Inner border c between
    /// blocks i and i+1 has a band of voxel centres c - o .. c + o - 1 over which block i+1's weight rises linearly
    /// from 0 to 1 (bigstream's ramp of 2o - 1 steps); outside bands one block has weight 1.
    /// </summary>
    private static void Blend(double u, int count, int size, int overlap, out int i0, out double w0, out int i1, out double w1)
    {
        int i = (int)Math.Clamp(Math.Floor(u / size), 0, count - 1);
        i0 = i1 = i; w0 = 1; w1 = 0;
        if (count == 1 || double.IsNaN(u)) return;
        double ramp = Math.Max(1, 2 * overlap - 1);
        double upper = (i + 1.0) * size; // border with block i + 1
        double lower = (double)i * size;  // border with block i - 1
        if (i + 1 < count && u >= upper - overlap)
        {
            i1 = i + 1;
            w1 = Math.Clamp((u - (upper - overlap)) / ramp, 0, 1);
            w0 = 1 - w1;
        }
        else if (i > 0 && u < lower + overlap)
        {
            i0 = i - 1;
            w1 = Math.Clamp((u - (lower - overlap)) / ramp, 0, 1);
            w0 = 1 - w1;
        }
    }

    private void FillMissing()
    {
        var (nx, ny, nz) = BlockCounts;
        var known = Estimated.ToArray();
        while (known.Contains(false))
        {
            var next = (bool[])known.Clone();
            for (int bz = 0; bz < nz; bz++)
                for (int by = 0; by < ny; by++)
                    for (int bx = 0; bx < nx; bx++)
                    {
                        int b = (bz * ny + by) * nx + bx;
                        if (known[b]) continue;
                        int count = 0;
                        var sum = _params.AsSpan(12 * b, 12);
                        sum.Clear();
                        for (int dz = -1; dz <= 1; dz++)
                            for (int dy = -1; dy <= 1; dy++)
                                for (int dx = -1; dx <= 1; dx++)
                                {
                                    int x = bx + dx, y = by + dy, z = bz + dz;
                                    if ((uint)x >= (uint)nx || (uint)y >= (uint)ny || (uint)z >= (uint)nz) continue;
                                    int nb = (z * ny + y) * nx + x;
                                    if (!known[nb]) continue;
                                    var p = _params.AsSpan(12 * nb, 12);
                                    for (int k = 0; k < 12; k++) sum[k] += p[k];
                                    count++;
                                }
                        if (count == 0) continue;
                        for (int k = 0; k < 12; k++) sum[k] /= count;
                        next[b] = true;
                    }
            known = next;
        }
    }

    private static void CheckAxis(string axis, long size, int block, int overlap)
    {
        if (block < 1) throw new EmAlignException($"Block size along {axis} is {block}: expected a positive number of voxels.", "blockSize");
        // A single block along an axis blends nothing, so its overlap does not matter.
        if (size > block && (overlap < 1 || 2 * overlap > block))
            throw new EmAlignException($"Overlap along {axis} is {overlap} voxels for blocks of {block}: expected 1 to {Math.Max(1, block / 2)}.", "overlap");
    }

    private static int CeilDiv(long a, int b) => (int)((a + b - 1) / b);
}
