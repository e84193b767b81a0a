using System.Numerics;
using System.Numerics.Tensors;
using EmAlign.Transforms;

namespace EmAlign.Features;

/// <summary>One correspondence: indices into the fixed and moving spot lists and the Pearson correlation of their neighbourhoods.</summary>
public readonly record struct SpotMatch(int Fixed, int Moving, float Correlation);

/// <summary>How spots are paired (bigstream parts A.4 and A.5).</summary>
public sealed record MatchOptions
{
    /// <summary>Half-width of the intensity cube around each spot, voxels of the finest axis (other axes scale with the voxel size).</summary>
    public int CcRadius { get; init; } = 12;

    /// <summary>A pair is kept when its Pearson r exceeds this (strictly).</summary>
    public double MatchThreshold { get; init; } = 0.75;

    /// <summary>Only pairs closer than this (physical units of the grids, before alignment) are considered; null for any distance.</summary>
    public double? MaxMatchDistance { get; init; }

    /// <summary>
    /// Candidates per fixed spot that get the exact correlation when the all-pairs product would be large: they are the
    /// best by the correlation of 5×5×5-cell block-averaged neighbourhoods. 0 always compares all pairs exactly.
    /// </summary>
    public int Candidates { get; init; } = 16;
}

/// <summary>
/// Matches spots by the Pearson correlation of their raw intensity neighbourhoods: each fixed spot takes the moving
/// spot with the highest r, kept if r exceeds the threshold (not mutual; several fixed spots may pick one moving spot).
/// Neighbourhoods are stored as contiguous centred, unit-norm float vectors, so r is a dot product (SIMD).
/// Flat neighbourhoods correlate 0 with everything.
/// </summary>
public static class NeighbourhoodMatcher
{
    /// <summary>Above this many multiply-adds, pairs are screened by coarse neighbourhoods first.</summary>
    private const long ExactBudget = 400_000_000;

    /// <summary>The cube half-widths (x, y, z voxels) for <paramref name="ccRadius"/> on <paramref name="grid"/>.</summary>
    public static (int X, int Y, int Z) CubeRadius(int ccRadius, VoxelGrid grid)
    {
        var r = BlobDetector.AxisRatios(grid);
        return ((int)Math.Round(ccRadius * r[0]), (int)Math.Round(ccRadius * r[1]), (int)Math.Round(ccRadius * r[2]));
    }

    /// <param name="fixedImage">z, y, x values of <paramref name="fixedGrid"/>; spots must lie at least the cube radius inside.</param>
    public static SpotMatch[] Match(float[] fixedImage, VoxelGrid fixedGrid, IReadOnlyList<Spot> fixedSpots,
        float[] movingImage, VoxelGrid movingGrid, IReadOnlyList<Spot> movingSpots, MatchOptions options, int maxParallelism = -1, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (fixedSpots.Count == 0 || movingSpots.Count == 0) return [];
        var radius = CubeRadius(options.CcRadius, fixedGrid);
        var a = Neighbourhoods.Extract(fixedImage, fixedGrid, fixedSpots, radius, maxParallelism);
        var b = Neighbourhoods.Extract(movingImage, movingGrid, movingSpots, radius, maxParallelism);
        int n = a.Count, m = b.Count, len = a.Length;
        bool screen = options.Candidates > 0 && (long)n * m * len > ExactBudget && options.Candidates < m;
        int k = screen ? options.Candidates : m;
        double maxD2 = options.MaxMatchDistance is { } d ? d * d : double.PositiveInfinity;
        var fixedPos = fixedSpots.Select(s => fixedGrid.ToPhysical(s.X, s.Y, s.Z)).ToArray();
        var movingPos = movingSpots.Select(s => movingGrid.ToPhysical(s.X, s.Y, s.Z)).ToArray();
        bool Near(int i, int j)
        {
            if (double.IsPositiveInfinity(maxD2)) return true;
            var (p, q) = (fixedPos[i], movingPos[j]);
            return (p.X - q.X) * (p.X - q.X) + (p.Y - q.Y) * (p.Y - q.Y) + (p.Z - q.Z) * (p.Z - q.Z) <= maxD2;
        }

        var best = new SpotMatch?[n];
        // Screening scores a tile of fixed spots against all moving spots at once (an outer-product kernel over the
        // transposed coarse matrix, whose columns are padded to whole SIMD vectors).
        int stride = screen ? (m + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count : 0;
        float[] coarseT = screen ? b.CoarseTransposed(stride) : [];
        int tiles = (n + Tile - 1) / Tile;
        Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism, CancellationToken = ct },
            () => (Index: new int[k], Score: new float[k], All: new float[Tile * stride]),
            (tile, _, top) =>
            {
                int i0 = tile * Tile, rows = Math.Min(Tile, n - i0);
                if (screen) ScreenTile(a, i0, rows, coarseT, stride, top.All);
                for (int t = 0; t < rows; t++)
                {
                    int i = i0 + t, count = 0;
                    if (screen)
                    {
                        var all = top.All.AsSpan(t * stride, m);
                        for (int j = 0; j < m; j++)
                            if ((count < k || all[j] > top.Score[k - 1]) && Near(i, j)) Insert(top.Index, top.Score, ref count, j, all[j]);
                    }
                    else
                    {
                        for (int j = 0; j < m; j++)
                            if (Near(i, j)) { top.Index[count] = j; count++; }
                    }
                    var fa = a.Row(i);
                    int bestJ = -1;
                    float bestR = float.NegativeInfinity;
                    for (int c = 0; c < count; c++)
                    {
                        int j = top.Index[c];
                        float r = TensorPrimitives.Dot(fa, b.Row(j));
                        if (r > bestR) { bestR = r; bestJ = j; }
                    }
                    if (bestJ >= 0 && bestR > options.MatchThreshold) best[i] = new SpotMatch(i, bestJ, bestR);
                }
                return top;
            }, _ => { });
        return [.. best.Where(x => x is not null).Select(x => x!.Value)];
    }

    private const int Tile = 4;

    /// <summary>
    /// scores[t, j] = coarse(i0 + t) · coarse_moving(j) for <paramref name="rows"/> fixed spots: per coarse element,
    /// one load of a vector of moving values feeds one multiply-add per fixed spot.
    /// </summary>
    private static void ScreenTile(Neighbourhoods a, int i0, int rows, float[] coarseT, int stride, float[] scores)
    {
        int lc = a.CoarseLength, w = Vector<float>.Count;
        Span<float> coef = stackalloc float[Tile * lc];
        coef.Clear();
        for (int t = 0; t < rows; t++) a.CoarseRow(i0 + t).CopyTo(coef.Slice(t * lc, lc));
        for (int j = 0; j < stride; j += w)
        {
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int l = 0; l < lc; l++)
            {
                var v = new Vector<float>(coarseT, l * stride + j);
                s0 += v * coef[l];
                s1 += v * coef[lc + l];
                s2 += v * coef[2 * lc + l];
                s3 += v * coef[3 * lc + l];
            }
            s0.CopyTo(scores, j);
            s1.CopyTo(scores, stride + j);
            s2.CopyTo(scores, 2 * stride + j);
            s3.CopyTo(scores, 3 * stride + j);
        }
    }

    /// <summary>Keeps the <c>index.Length</c> highest scores seen so far, sorted descending.</summary>
    private static void Insert(int[] index, float[] score, ref int count, int j, float s)
    {
        int cap = index.Length;
        if (count == cap && s <= score[cap - 1]) return;
        int p = count < cap ? count++ : cap - 1;
        while (p > 0 && score[p - 1] < s) { score[p] = score[p - 1]; index[p] = index[p - 1]; p--; }
        score[p] = s;
        index[p] = j;
    }

    /// <summary>Centred, unit-norm intensity cubes (and their block-averaged versions) for a list of spots.</summary>
    private sealed class Neighbourhoods
    {
        private const int CoarseCells = 5;
        private float[] _full = [], _coarse = [];

        public int Count { get; private init; }
        public int Length { get; private init; }
        public int CoarseLength { get; private init; }

        public ReadOnlySpan<float> Row(int i) => _full.AsSpan(i * Length, Length);
        public ReadOnlySpan<float> CoarseRow(int i) => _coarse.AsSpan(i * CoarseLength, CoarseLength);

        /// <summary>The coarse rows as columns: element (l, j) at l·stride + j (stride ≥ Count; padding zero).</summary>
        public float[] CoarseTransposed(int stride)
        {
            var t = new float[CoarseLength * stride];
            for (int j = 0; j < Count; j++)
                for (int l = 0; l < CoarseLength; l++) t[l * stride + j] = _coarse[j * CoarseLength + l];
            return t;
        }

        public static Neighbourhoods Extract(float[] image, VoxelGrid grid, IReadOnlyList<Spot> spots, (int X, int Y, int Z) r, int maxParallelism)
        {
            int nx = (int)grid.SizeX, ny = (int)grid.SizeY, nz = (int)grid.SizeZ;
            int lx = 2 * r.X + 1, ly = 2 * r.Y + 1, lz = 2 * r.Z + 1;
            int px = (lx + CoarseCells - 1) / CoarseCells, py = (ly + CoarseCells - 1) / CoarseCells, pz = (lz + CoarseCells - 1) / CoarseCells;
            int cx = (lx + px - 1) / px, cy = (ly + py - 1) / py, cz = (lz + pz - 1) / pz;
            var set = new Neighbourhoods { Count = spots.Count, Length = lx * ly * lz, CoarseLength = cx * cy * cz };
            set._full = new float[(long)set.Count * set.Length];
            set._coarse = new float[(long)set.Count * set.CoarseLength];
            // Coarse cell of each position along x (per row the y and z cells are fixed), and cell sizes for the means.
            var cellX = Enumerable.Range(0, lx).Select(x => x / px).ToArray();
            var cellCount = new float[set.CoarseLength];
            for (int z = 0; z < lz; z++)
                for (int y = 0; y < ly; y++)
                    for (int x = 0; x < lx; x++) cellCount[((z / pz) * cy + y / py) * cx + cellX[x]]++;
            Parallel.For(0, spots.Count, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism }, i =>
            {
                var s = spots[i];
                int x0 = (int)Math.Round(s.X) - r.X, y0 = (int)Math.Round(s.Y) - r.Y, z0 = (int)Math.Round(s.Z) - r.Z;
                bool inside = x0 >= 0 && x0 + lx <= nx;
                var row = set._full.AsSpan(i * set.Length, set.Length);
                var coarse = set._coarse.AsSpan(i * set.CoarseLength, set.CoarseLength);
                for (int z = 0; z < lz; z++)
                    for (int y = 0; y < ly; y++)
                    {
                        int zz = Math.Clamp(z0 + z, 0, nz - 1), yy = Math.Clamp(y0 + y, 0, ny - 1);
                        int src = (zz * ny + yy) * nx;
                        var dst = row.Slice((z * ly + y) * lx, lx);
                        if (inside) image.AsSpan(src + x0, lx).CopyTo(dst);
                        else for (int x = 0; x < lx; x++) dst[x] = image[src + Math.Clamp(x0 + x, 0, nx - 1)];
                        var cells = coarse.Slice(((z / pz) * cy + y / py) * cx, cx);
                        for (int x = 0; x < lx; x++) cells[cellX[x]] += dst[x];
                    }
                TensorPrimitives.Divide(coarse, cellCount, coarse);
                Normalize(row);
                Normalize(coarse);
            });
            return set;
        }

        /// <summary>Subtracts the mean and scales to unit norm, so the dot product of two rows is their Pearson r; flat rows become zeros.</summary>
        private static void Normalize(Span<float> v)
        {
            float mean = TensorPrimitives.Sum<float>(v) / v.Length;
            TensorPrimitives.Subtract(v, mean, v);
            float norm = TensorPrimitives.Norm<float>(v);
            if (norm > 1e-12f * Math.Max(1, Math.Abs(mean)) * MathF.Sqrt(v.Length)) TensorPrimitives.Divide(v, norm, v);
            else v.Clear();
        }
    }
}
