using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Transforms;

/// <summary>How values between source voxels are computed.</summary>
public enum Interpolation
{
    /// <summary>The nearest voxel (labels, masks).</summary>
    Nearest,

    /// <summary>Trilinear (bigstream's default).</summary>
    Linear,

    /// <summary>Keys cubic convolution (a = -0.5): interpolating, sharper than linear, may overshoot slightly.</summary>
    Cubic,
}

/// <summary>
/// Resamples a source (moving) volume through a transform onto a target (fixed) grid: each target voxel centre p
/// takes the source's value at T(p), with T mapping fixed to moving physical coordinates (x, y, z). Source positions
/// more than half a voxel outside the source read <c>background</c>; within that half voxel the edge value holds.
/// Volumes read only the source region the target block needs (split further when it exceeds the voxel budget).
/// </summary>
public static class Resampler
{
    /// <summary>Default upper bound on source voxels read at once for one target block (128 MB of float32).</summary>
    public const long DefaultMaxSourceVoxels = 32L << 20;

    /// <summary>
    /// Resamples an in-memory source (z, y, x float, <paramref name="sourceGrid"/>) onto all of <paramref name="targetGrid"/>;
    /// returns z, y, x floats.
    /// </summary>
    public static float[] Resample(float[] source, VoxelGrid sourceGrid, SpatialTransform transform, VoxelGrid targetGrid,
        Interpolation interpolation = Interpolation.Linear, float background = 0, int maxParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(transform);
        if (source.Length != sourceGrid.VoxelCount)
            throw new ArgumentException($"The source holds {source.Length} values; its grid {sourceGrid} needs {sourceGrid.VoxelCount}.", nameof(source));
        var result = new float[targetGrid.VoxelCount];
        var coords = Coordinates.Compute(transform, targetGrid, sourceGrid, maxParallelism);
        var full = Box3.FromSize(sourceGrid.SizeX, sourceGrid.SizeY, sourceGrid.SizeZ);
        SampleRows(source, full, full, 1, coords, 0, coords.Rows, interpolation, background, result, targetGrid.VoxelCount, maxParallelism);
        return result;
    }

    /// <summary>
    /// Resamples level <paramref name="level"/> of <paramref name="source"/> onto <paramref name="targetGrid"/>; returns the
    /// values with channels outermost, then z, y, x of the target grid. Reads at most about <paramref name="maxSourceVoxels"/>
    /// source voxels at a time (rows of the target are split until their source region fits).
    /// </summary>
    public static float[] Resample(EmVolume source, int level, SpatialTransform transform, VoxelGrid targetGrid,
        Interpolation interpolation = Interpolation.Linear, float background = 0, long maxSourceVoxels = DefaultMaxSourceVoxels, int maxParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(transform);
        long targetVoxels = targetGrid.VoxelCount;
        var sourceGrid = VoxelGrid.Of(source, level);
        var coords = Coordinates.Compute(transform, targetGrid, sourceGrid, maxParallelism);
        var levelBounds = source.Levels[level].Bounds;
        var result = new float[targetVoxels * source.Channels];
        ReadAndSample(source, level, levelBounds, coords, 0, coords.Rows, interpolation, background, result, targetVoxels, Math.Max(1, maxSourceVoxels), maxParallelism);
        return result;
    }

    private static void ReadAndSample(EmVolume source, int level, Box3 levelBounds, Coordinates coords, int row0, int row1,
        Interpolation interpolation, float background, float[] result, long targetVoxels, long maxSourceVoxels, int maxParallelism)
    {
        var box = coords.SourceBox(row0, row1, interpolation, levelBounds);
        if (box.VoxelCount > maxSourceVoxels && row1 - row0 > 1)
        {
            int mid = row0 + (row1 - row0) / 2;
            ReadAndSample(source, level, levelBounds, coords, row0, mid, interpolation, background, result, targetVoxels, maxSourceVoxels, maxParallelism);
            ReadAndSample(source, level, levelBounds, coords, mid, row1, interpolation, background, result, targetVoxels, maxSourceVoxels, maxParallelism);
            return;
        }
        float[] data = box.IsEmpty ? [] : source.ReadSingle(level, box);
        SampleRows(data, box, levelBounds, source.Channels, coords, row0, row1, interpolation, background, result, targetVoxels, maxParallelism);
    }

    /// <summary>Samples target rows [row0, row1) from <paramref name="data"/>, which holds <paramref name="box"/> of a source of extent <paramref name="bounds"/>.</summary>
    private static void SampleRows(float[] data, Box3 box, Box3 bounds, int channels, Coordinates coords, int row0, int row1,
        Interpolation interpolation, float background, float[] result, long targetVoxels, int maxParallelism)
    {
        int nx = coords.RowLength;
        long boxVoxels = box.VoxelCount;
        Parallel.For(row0, row1, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism }, row =>
        {
            long o = (long)row * nx;
            for (int c = 0; c < channels; c++)
            {
                var src = new Sampler(data, c * boxVoxels, box, bounds, background);
                var dst = result.AsSpan((int)(c * targetVoxels + o), nx);
                for (int x = 0; x < nx; x++)
                {
                    float fx = coords.X[o + x], fy = coords.Y[o + x], fz = coords.Z[o + x];
                    dst[x] = interpolation switch
                    {
                        Interpolation.Nearest => src.Nearest(fx, fy, fz),
                        Interpolation.Cubic => src.Cubic(fx, fy, fz),
                        _ => src.Linear(fx, fy, fz),
                    };
                }
            }
        });
    }

    /// <summary>Source voxel coordinates of every target voxel, with per-row bounds for choosing what to read.</summary>
    private sealed class Coordinates
    {
        public required float[] X, Y, Z;
        public required float[] RowMin, RowMax; // 3 per row: x, y, z (NaN-free rows only; +inf/-inf when none finite)
        public int RowLength, Rows;

        public static Coordinates Compute(SpatialTransform transform, VoxelGrid target, VoxelGrid source, int maxParallelism)
        {
            target = target.InUnit(transform.Unit);
            source = source.InUnit(transform.Unit);
            int nx = checked((int)target.SizeX), ny = checked((int)target.SizeY), nz = checked((int)target.SizeZ);
            int rows = ny * nz;
            long n = (long)nx * rows;
            var c = new Coordinates
            {
                X = new float[n], Y = new float[n], Z = new float[n],
                RowMin = new float[3 * rows], RowMax = new float[3 * rows],
                RowLength = nx, Rows = rows,
            };
            Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism },
                () => (new double[nx], new double[nx], new double[nx]),
                (row, _, buf) =>
                {
                    var (px, py, pz) = buf;
                    int y = row % ny, z = row / ny;
                    double yy = target.OriginY + y * target.SpacingY, zz = target.OriginZ + z * target.SpacingZ;
                    for (int x = 0; x < nx; x++) { px[x] = target.OriginX + x * target.SpacingX; py[x] = yy; pz[x] = zz; }
                    transform.TransformPoints(px, py, pz);
                    long o = (long)row * nx;
                    float minX = float.PositiveInfinity, minY = float.PositiveInfinity, minZ = float.PositiveInfinity;
                    float maxX = float.NegativeInfinity, maxY = float.NegativeInfinity, maxZ = float.NegativeInfinity;
                    for (int x = 0; x < nx; x++)
                    {
                        float fx = (float)((px[x] - source.OriginX) / source.SpacingX);
                        float fy = (float)((py[x] - source.OriginY) / source.SpacingY);
                        float fz = (float)((pz[x] - source.OriginZ) / source.SpacingZ);
                        c.X[o + x] = fx; c.Y[o + x] = fy; c.Z[o + x] = fz;
                        if (!float.IsFinite(fx + fy + fz)) continue;
                        minX = Math.Min(minX, fx); maxX = Math.Max(maxX, fx);
                        minY = Math.Min(minY, fy); maxY = Math.Max(maxY, fy);
                        minZ = Math.Min(minZ, fz); maxZ = Math.Max(maxZ, fz);
                    }
                    c.RowMin[3 * row] = minX; c.RowMin[3 * row + 1] = minY; c.RowMin[3 * row + 2] = minZ;
                    c.RowMax[3 * row] = maxX; c.RowMax[3 * row + 1] = maxY; c.RowMax[3 * row + 2] = maxZ;
                    return buf;
                }, _ => { });
            return c;
        }

        /// <summary>The source voxels that rows [row0, row1) touch with the interpolation's support, clipped to <paramref name="bounds"/>.</summary>
        public Box3 SourceBox(int row0, int row1, Interpolation interpolation, Box3 bounds)
        {
            float minX = float.PositiveInfinity, minY = float.PositiveInfinity, minZ = float.PositiveInfinity;
            float maxX = float.NegativeInfinity, maxY = float.NegativeInfinity, maxZ = float.NegativeInfinity;
            for (int r = row0; r < row1; r++)
            {
                minX = Math.Min(minX, RowMin[3 * r]); minY = Math.Min(minY, RowMin[3 * r + 1]); minZ = Math.Min(minZ, RowMin[3 * r + 2]);
                maxX = Math.Max(maxX, RowMax[3 * r]); maxY = Math.Max(maxY, RowMax[3 * r + 1]); maxZ = Math.Max(maxZ, RowMax[3 * r + 2]);
            }
            if (!(minX <= maxX)) return default;
            int lo = interpolation == Interpolation.Cubic ? 2 : 1, hi = interpolation == Interpolation.Cubic ? 3 : 2;
            static long Clip(double v, long a, long b) => (long)Math.Clamp(v, a, b);
            return Box3.FromBounds(
                Clip(Math.Floor(minX) - lo, bounds.X, bounds.EndX), Clip(Math.Floor(minY) - lo, bounds.Y, bounds.EndY), Clip(Math.Floor(minZ) - lo, bounds.Z, bounds.EndZ),
                Clip(Math.Floor(maxX) + hi, bounds.X, bounds.EndX), Clip(Math.Floor(maxY) + hi, bounds.Y, bounds.EndY), Clip(Math.Floor(maxZ) + hi, bounds.Z, bounds.EndZ));
        }
    }

    /// <summary>
    /// Reads one channel of a source block at fractional voxel coordinates of the whole source. Samples whose support lies
    /// inside the block index it directly; near the source's faces indices are clamped to the edge.
    /// </summary>
    private readonly struct Sampler(float[] data, long offset, Box3 box, Box3 bounds, float background)
    {
        private readonly long _sy = box.SizeX, _sz = box.SizeX * box.SizeY;

        private bool Outside(float fx, float fy, float fz) =>
            !(fx >= bounds.X - 0.5f && fx <= bounds.EndX - 0.5f && fy >= bounds.Y - 0.5f && fy <= bounds.EndY - 0.5f && fz >= bounds.Z - 0.5f && fz <= bounds.EndZ - 0.5f)
            || box.IsEmpty;

        /// <summary>True when voxels [x0 - lo, x0 + hi] (and likewise y, z) all lie in the block.</summary>
        private bool Interior(long x0, long y0, long z0, int lo, int hi) =>
            x0 - lo >= box.X && x0 + hi < box.EndX && y0 - lo >= box.Y && y0 + hi < box.EndY && z0 - lo >= box.Z && z0 + hi < box.EndZ;

        private long Index(long x, long y, long z) => offset + (z - box.Z) * _sz + (y - box.Y) * _sy + (x - box.X);

        private float At(long x, long y, long z) => data[Index(
            Math.Clamp(x, bounds.X, bounds.EndX - 1), Math.Clamp(y, bounds.Y, bounds.EndY - 1), Math.Clamp(z, bounds.Z, bounds.EndZ - 1))];

        public float Nearest(float fx, float fy, float fz) =>
            Outside(fx, fy, fz) ? background : At((long)MathF.Floor(fx + 0.5f), (long)MathF.Floor(fy + 0.5f), (long)MathF.Floor(fz + 0.5f));

        public float Linear(float fx, float fy, float fz)
        {
            if (Outside(fx, fy, fz)) return background;
            long x0 = (long)MathF.Floor(fx), y0 = (long)MathF.Floor(fy), z0 = (long)MathF.Floor(fz);
            float tx = fx - x0, ty = fy - y0, tz = fz - z0;
            float v000, v100, v010, v110, v001, v101, v011, v111;
            if (Interior(x0, y0, z0, 0, 1))
            {
                long i = Index(x0, y0, z0);
                v000 = data[i]; v100 = data[i + 1]; v010 = data[i + _sy]; v110 = data[i + _sy + 1];
                v001 = data[i + _sz]; v101 = data[i + _sz + 1]; v011 = data[i + _sz + _sy]; v111 = data[i + _sz + _sy + 1];
            }
            else
            {
                v000 = At(x0, y0, z0); v100 = At(x0 + 1, y0, z0); v010 = At(x0, y0 + 1, z0); v110 = At(x0 + 1, y0 + 1, z0);
                v001 = At(x0, y0, z0 + 1); v101 = At(x0 + 1, y0, z0 + 1); v011 = At(x0, y0 + 1, z0 + 1); v111 = At(x0 + 1, y0 + 1, z0 + 1);
            }
            float c00 = v000 + tx * (v100 - v000), c10 = v010 + tx * (v110 - v010);
            float c01 = v001 + tx * (v101 - v001), c11 = v011 + tx * (v111 - v011);
            float c0 = c00 + ty * (c10 - c00), c1 = c01 + ty * (c11 - c01);
            return c0 + tz * (c1 - c0);
        }

        public float Cubic(float fx, float fy, float fz)
        {
            if (Outside(fx, fy, fz)) return background;
            long x0 = (long)MathF.Floor(fx), y0 = (long)MathF.Floor(fy), z0 = (long)MathF.Floor(fz);
            Span<float> wx = stackalloc float[4], wy = stackalloc float[4], wz = stackalloc float[4];
            Keys(fx - x0, wx); Keys(fy - y0, wy); Keys(fz - z0, wz);
            bool interior = Interior(x0, y0, z0, 1, 2);
            long b = interior ? Index(x0 - 1, y0 - 1, z0 - 1) : 0;
            float sum = 0;
            for (int k = 0; k < 4; k++)
            {
                if (wz[k] == 0) continue;
                float sy = 0;
                for (int j = 0; j < 4; j++)
                {
                    if (wy[j] == 0) continue;
                    float sx;
                    if (interior)
                    {
                        long r = b + k * _sz + j * _sy;
                        sx = wx[0] * data[r] + wx[1] * data[r + 1] + wx[2] * data[r + 2] + wx[3] * data[r + 3];
                    }
                    else
                    {
                        sx = 0;
                        for (int i = 0; i < 4; i++) sx += wx[i] * At(x0 - 1 + i, y0 - 1 + j, z0 - 1 + k);
                    }
                    sy += wy[j] * sx;
                }
                sum += wz[k] * sy;
            }
            return sum;
        }

        /// <summary>Keys (a = -0.5) weights for the four samples at offsets -1, 0, 1, 2 of fraction t.</summary>
        private static void Keys(float t, Span<float> w)
        {
            float t2 = t * t, t3 = t2 * t;
            w[0] = -0.5f * t3 + t2 - 0.5f * t;
            w[1] = 1.5f * t3 - 2.5f * t2 + 1;
            w[2] = -1.5f * t3 + 2 * t2 + 0.5f * t;
            w[3] = 0.5f * t3 - 0.5f * t2;
        }
    }
}
