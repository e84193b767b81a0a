using System.Numerics.Tensors;
using EmAlign.Diagnostics;
using EmAlign.Numerics;
using EmAlign.Transforms;

namespace EmAlign.Features;

/// <summary>
/// How spots are found (bigstream's blob detection, part A.3 of the spec). Radii are in voxels along the grid's finest
/// axis; coarser axes use proportionally fewer voxels, so blobs are round in physical space on anisotropic voxels.
/// </summary>
public sealed record SpotDetectionOptions
{
    /// <summary>Smallest expected blob radius, voxels of the finest axis (sigma = radius / sqrt(dimensions)).</summary>
    public double MinRadius { get; init; } = 6;

    /// <summary>Largest expected blob radius, voxels of the finest axis.</summary>
    public double MaxRadius { get; init; } = 20;

    /// <summary>Cap on the number of LoG scales (bigstream's num_sigma_max); the count is min(MaxRadius - MinRadius, this).</summary>
    public int NumSigmaMax { get; init; } = 15;

    /// <summary>A peak must exceed this fraction of the largest response over all scales (skimage's threshold_rel).</summary>
    public double ThresholdRel { get; init; } = 0.1;

    /// <summary>Optional absolute floor on the response (image value units); null for none.</summary>
    public double? Threshold { get; init; }

    /// <summary>Of two blobs whose spheres overlap by more than this fraction of the smaller one, the weaker is dropped.</summary>
    public double Overlap { get; init; } = 0.5;

    /// <summary>Keep only the brightest N spots (by image value at the peak), as bigstream's nspots.</summary>
    public int NSpots { get; init; } = 5000;
}

/// <summary>
/// Multi-scale Laplacian-of-Gaussian blob detection in 3D or 2D (a single-plane grid), on anisotropic voxels.
/// The image is first block-averaged as far as the smallest scale allows (see <see cref="MinWorkingSigma"/>); the scale
/// space is then built incrementally (each scale blurs the previous one by the missing sigma) with separable SIMD
/// filters; the scale-normalised response -Σ σ_a² ∂²_a(G*I) (σ_a in voxels of axis a, i.e. σ² times the physical
/// Laplacian) is kept for three scales at a time, and peaks are local maxima over space and scale (3×3×3×3
/// neighbourhood, 3×3×3 in 2D), refined to sub-voxel positions and mapped back to the input grid. Overlapping blobs are
/// suppressed strongest first (skimage drops the smaller one instead), then the brightest N are kept.
/// Memory: five float copies of the working (block-averaged) image.
/// </summary>
public static class BlobDetector
{
    /// <summary>
    /// The smallest scale is kept at least this many voxels wide on the working grid: the image is block-averaged by
    /// the largest integer factor per axis that allows it (a 2x2 reduction for bigstream's radius 6), which cuts the
    /// work several-fold while sampling every LoG scale well. Peaks are mapped back to the full grid.
    /// </summary>
    public const double MinWorkingSigma = 1.5;

    /// <param name="image">z, y, x values of <paramref name="grid"/> (not modified).</param>
    /// <param name="border">Voxels per axis (x, y, z) kept clear of spots, so descriptor cubes fit.</param>
    public static Spot[] Detect(float[] image, VoxelGrid grid, SpotDetectionOptions options, (int X, int Y, int Z) border,
        int maxParallelism = -1, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        int fnx = checked((int)grid.SizeX), fny = checked((int)grid.SizeY), fnz = checked((int)grid.SizeZ);
        if (image.Length != (long)fnx * fny * fnz) throw new ArgumentException($"The image holds {image.Length} values; the grid {grid} needs {grid.VoxelCount}.", nameof(image));
        var sigmas = Sigmas(options, grid.IsPlanar);
        double[] ratio = AxisRatios(grid);
        var po = new ParallelOptions { MaxDegreeOfParallelism = maxParallelism, CancellationToken = ct };

        int[] f = [.. Enumerable.Range(0, 3).Select(a => Math.Max(1, (int)Math.Floor(sigmas[0] * ratio[a] / MinWorkingSigma)))];
        int nx = (fnx + f[0] - 1) / f[0], ny = (fny + f[1] - 1) / f[1], nz = (fnz + f[2] - 1) / f[2];
        int n = nx * ny * nz;
        var g = f.All(v => v == 1) ? (float[])image.Clone() : BlockMean(image, fnx, fny, fnz, f, nx, ny, nz, po);
        // Every pass overwrites these completely, so they need no zeroing.
        var tmp = GC.AllocateUninitializedArray<float>(n);
        var responses = new[] { GC.AllocateUninitializedArray<float>(n), GC.AllocateUninitializedArray<float>(n), GC.AllocateUninitializedArray<float>(n) };
        var candidates = new List<Spot>[nz];
        for (int z = 0; z < nz; z++) candidates[z] = [];
        // Block averaging already blurred by a box of width f: variance (f² - 1) / 12 full voxels.
        double[] previous = [.. f.Select(v => Math.Sqrt((v * v - 1) / 12.0) / v)];
        float runningMax = 0;
        (int X, int Y, int Z) workingBorder = (border.X / f[0], border.Y / f[1], border.Z / f[2]);
        for (int k = 0; k <= sigmas.Length; k++)
        {
            ct.ThrowIfCancellationRequested();
            if (k < sigmas.Length)
            {
                double[] s = [sigmas[k] * ratio[0] / f[0], sigmas[k] * ratio[1] / f[1], sigmas[k] * ratio[2] / f[2]];
                Gaussian3D.Blur(g, tmp, nx, ny, nz,
                    Math.Sqrt(Math.Max(0, s[0] * s[0] - previous[0] * previous[0])),
                    Math.Sqrt(Math.Max(0, s[1] * s[1] - previous[1] * previous[1])),
                    Math.Sqrt(Math.Max(0, s[2] * s[2] - previous[2] * previous[2])), maxParallelism);
                previous = s;
                var l = responses[k % 3];
                NormalizedLaplacian(g, l, nx, ny, nz, s, po);
                runningMax = Math.Max(runningMax, TensorPrimitives.Max<float>(l));
            }
            if (k == 0) continue;
            int at = k - 1;
            float threshold = (float)Math.Max(Math.Max(options.Threshold ?? 0, options.ThresholdRel * runningMax), 0);
            FindPeaks(at > 0 ? responses[(at - 1) % 3] : null, responses[at % 3], at + 1 < sigmas.Length ? responses[(at + 1) % 3] : null,
                nx, ny, nz, workingBorder, threshold, sigmas[at], candidates, po);
        }

        // Back to the full grid: a working voxel is the block of f voxels centred at f·i + (f - 1)/2.
        float final = (float)Math.Max(Math.Max(options.Threshold ?? 0, options.ThresholdRel * runningMax), 0);
        int bz = grid.IsPlanar ? 0 : border.Z;
        var all = new List<Spot>();
        foreach (var c in candidates.SelectMany(c => c))
        {
            if (!(c.Response > final)) continue;
            double x = f[0] * c.X + (f[0] - 1) / 2.0, y = f[1] * c.Y + (f[1] - 1) / 2.0, z = f[2] * c.Z + (f[2] - 1) / 2.0;
            int ix = (int)Math.Round(x), iy = (int)Math.Round(y), iz = (int)Math.Round(z);
            if (ix < border.X || iy < border.Y || iz < bz || ix >= fnx - border.X || iy >= fny - border.Y || iz >= fnz - bz) continue;
            all.Add(c with { X = x, Y = y, Z = z, Intensity = image[((long)iz * fny + iy) * fnx + ix] });
        }
        var kept = Prune(all, grid, options.Overlap);
        kept.Sort((a, b) => b.Intensity.CompareTo(a.Intensity));
        if (kept.Count > options.NSpots) kept.RemoveRange(options.NSpots, kept.Count - options.NSpots);
        return [.. kept];
    }

    /// <summary>Means over blocks of f[0] x f[1] x f[2] voxels (partial blocks at the far edges average what they hold).</summary>
    private static float[] BlockMean(float[] image, int nx, int ny, int nz, int[] f, int ox, int oy, int oz, ParallelOptions po)
    {
        var result = new float[(long)ox * oy * oz];
        Parallel.For(0, oz * oy, po, row =>
        {
            int z = row / oy, y = row % oy;
            int z0 = z * f[2], z1 = Math.Min(nz, z0 + f[2]), y0 = y * f[1], y1 = Math.Min(ny, y0 + f[1]);
            var dst = result.AsSpan(row * ox, ox);
            for (int zz = z0; zz < z1; zz++)
                for (int yy = y0; yy < y1; yy++)
                {
                    var src = image.AsSpan((zz * ny + yy) * nx, nx);
                    for (int x = 0; x < ox; x++)
                    {
                        float sum = 0;
                        for (int xx = x * f[0], x1 = Math.Min(nx, xx + f[0]); xx < x1; xx++) sum += src[xx];
                        dst[x] += sum;
                    }
                }
            for (int x = 0; x < ox; x++) dst[x] /= (z1 - z0) * (y1 - y0) * (Math.Min(nx, (x + 1) * f[0]) - x * f[0]);
        });
        return result;
    }

    /// <summary>The LoG scales (sigma in voxels of the finest axis), bigstream's linear ramp from MinRadius to MaxRadius.</summary>
    public static double[] Sigmas(SpotDetectionOptions options, bool planar)
    {
        if (!(options.MinRadius > 0) || !(options.MaxRadius > options.MinRadius))
            throw new EmAlignException($"Blob radii {options.MinRadius:g4} to {options.MaxRadius:g4} voxels: expected 0 < min radius < max radius.", "MinRadius");
        int count = (int)Math.Min(options.MaxRadius - options.MinRadius, options.NumSigmaMax);
        if (count < 1)
            throw new EmAlignException($"Blob radii {options.MinRadius:g4} to {options.MaxRadius:g4} give no LoG scale: expected max radius at least min radius + 1 and NumSigmaMax >= 1.", "MaxRadius");
        double root = Math.Sqrt(planar ? 2 : 3);
        double lo = options.MinRadius / root, hi = options.MaxRadius / root;
        return [.. Enumerable.Range(0, count).Select(k => count == 1 ? lo : lo + k * (hi - lo) / (count - 1))];
    }

    /// <summary>Per axis (x, y, z): voxels of that axis per voxel of the finest axis (0 for z of a single plane).</summary>
    public static double[] AxisRatios(VoxelGrid grid)
    {
        double min = grid.IsPlanar ? Math.Min(grid.SpacingX, grid.SpacingY) : grid.MinSpacing;
        return [min / grid.SpacingX, min / grid.SpacingY, grid.IsPlanar ? 0 : min / grid.SpacingZ];
    }

    /// <summary>l = -Σ_a s_a² D2_a(g): second differences with mirrored borders, times the squared per-axis sigmas.</summary>
    private static void NormalizedLaplacian(float[] g, float[] l, int nx, int ny, int nz, double[] s, ParallelOptions po)
    {
        float cx = (float)-(s[0] * s[0]), cy = (float)-(s[1] * s[1]), cz = (float)-(s[2] * s[2]);
        Parallel.For(0, ny * nz, po, row =>
        {
            int z = row / ny, y = row % ny;
            var cur = g.AsSpan(row * nx, nx);
            var acc = l.AsSpan(row * nx, nx);
            acc.Clear();
            if (nx > 1)
            {
                var inner = acc[1..^1];
                TensorPrimitives.Add(cur[..^2], cur[2..], inner);
                TensorPrimitives.MultiplyAdd(cur[1..^1], -2f, inner, inner);
                acc[0] = cur[1] - cur[0];
                acc[nx - 1] = cur[nx - 2] - cur[nx - 1];
                TensorPrimitives.Multiply(acc, cx, acc);
            }
            if (ny > 1) AddSecondDifference(g, acc, cur, z * ny + Gaussian3D.Reflect(y - 1, ny), z * ny + Gaussian3D.Reflect(y + 1, ny), nx, cy);
            if (nz > 1) AddSecondDifference(g, acc, cur, Gaussian3D.Reflect(z - 1, nz) * ny + y, Gaussian3D.Reflect(z + 1, nz) * ny + y, nx, cz);
        });
    }

    private static void AddSecondDifference(float[] g, Span<float> acc, ReadOnlySpan<float> cur, int before, int after, int nx, float c)
    {
        TensorPrimitives.MultiplyAdd(g.AsSpan(before * nx, nx), c, acc, acc);
        TensorPrimitives.MultiplyAdd(g.AsSpan(after * nx, nx), c, acc, acc);
        TensorPrimitives.MultiplyAdd(cur, -2 * c, acc, acc);
    }

    /// <summary>Adds local maxima of <paramref name="cur"/> over space and the neighbouring scales above <paramref name="threshold"/>.</summary>
    private static void FindPeaks(float[]? below, float[] cur, float[]? above, int nx, int ny, int nz, (int X, int Y, int Z) border,
        float threshold, double sigma, List<Spot>[] candidates, ParallelOptions po)
    {
        int bx = Math.Max(border.X, 0), by = Math.Max(border.Y, 0), bz = nz == 1 ? 0 : Math.Max(border.Z, 0);
        if (nx - 2 * bx <= 0 || ny - 2 * by <= 0 || nz - 2 * bz <= 0) return;
        Parallel.For(bz, nz - bz, po, z =>
        {
            var found = candidates[z];
            for (int y = by; y < ny - by; y++)
            {
                int rowStart = (z * ny + y) * nx;
                if (TensorPrimitives.Max<float>(cur.AsSpan(rowStart + bx, nx - 2 * bx)) <= threshold) continue;
                for (int x = bx; x < nx - bx; x++)
                {
                    float v = cur[rowStart + x];
                    if (v <= threshold || !IsPeak(below, cur, above, v, x, y, z, nx, ny, nz)) continue;
                    double dx = Vertex(cur, x, y, z, 1, 0, 0, nx, ny, nz);
                    double dy = Vertex(cur, x, y, z, 0, 1, 0, nx, ny, nz);
                    double dz = nz > 1 ? Vertex(cur, x, y, z, 0, 0, 1, nx, ny, nz) : 0;
                    found.Add(new Spot(x + dx, y + dy, z + dz, sigma, v, 0));
                }
            }
        });
    }

    private static bool IsPeak(float[]? below, float[] cur, float[]? above, float v, int x, int y, int z, int nx, int ny, int nz)
    {
        int z0 = Math.Max(z - 1, 0), z1 = Math.Min(z + 1, nz - 1);
        int y0 = Math.Max(y - 1, 0), y1 = Math.Min(y + 1, ny - 1);
        int x0 = Math.Max(x - 1, 0), x1 = Math.Min(x + 1, nx - 1);
        for (int zz = z0; zz <= z1; zz++)
            for (int yy = y0; yy <= y1; yy++)
            {
                int row = (zz * ny + yy) * nx;
                for (int xx = x0; xx <= x1; xx++)
                {
                    int i = row + xx;
                    if (cur[i] > v || (below is not null && below[i] > v) || (above is not null && above[i] > v)) return false;
                }
            }
        return true;
    }

    /// <summary>Sub-voxel offset of the peak along one axis from a parabola through three samples, within ±0.49.</summary>
    private static double Vertex(float[] l, int x, int y, int z, int ax, int ay, int az, int nx, int ny, int nz)
    {
        int xm = Math.Max(x - ax, 0), xp = Math.Min(x + ax, nx - 1);
        int ym = Math.Max(y - ay, 0), yp = Math.Min(y + ay, ny - 1);
        int zm = Math.Max(z - az, 0), zp = Math.Min(z + az, nz - 1);
        double fm = l[(zm * ny + ym) * nx + xm], f0 = l[(z * ny + y) * nx + x], fp = l[(zp * ny + yp) * nx + xp];
        double curvature = fm - 2 * f0 + fp;
        if (!(curvature < 0)) return 0;
        return Math.Clamp(0.5 * (fm - fp) / curvature, -0.49, 0.49);
    }

    /// <summary>Non-maximum suppression: strongest first, a blob is kept unless it overlaps a kept one by more than <paramref name="overlap"/>.</summary>
    private static List<Spot> Prune(List<Spot> spots, VoxelGrid grid, double overlap)
    {
        if (spots.Count == 0 || overlap >= 1) return spots;
        bool planar = grid.IsPlanar;
        double unit = planar ? Math.Min(grid.SpacingX, grid.SpacingY) : grid.MinSpacing;
        double root = Math.Sqrt(planar ? 2 : 3);
        double maxRadius = spots.Max(s => s.Sigma) * root * unit;
        double cell = 2 * maxRadius;
        spots.Sort((a, b) => b.Response.CompareTo(a.Response));
        var kept = new List<Spot>();
        var hash = new Dictionary<(long, long, long), List<int>>();
        (double X, double Y, double Z) P(Spot s) => (s.X * grid.SpacingX, s.Y * grid.SpacingY, planar ? 0 : s.Z * grid.SpacingZ);
        foreach (var s in spots)
        {
            var p = P(s);
            double r = s.Sigma * root * unit;
            long cx = (long)Math.Floor(p.X / cell), cy = (long)Math.Floor(p.Y / cell), cz = (long)Math.Floor(p.Z / cell);
            bool suppressed = false;
            for (long dz = -1; dz <= 1 && !suppressed; dz++)
                for (long dy = -1; dy <= 1 && !suppressed; dy++)
                    for (long dx = -1; dx <= 1 && !suppressed; dx++)
                    {
                        if (!hash.TryGetValue((cx + dx, cy + dy, cz + dz), out var list)) continue;
                        foreach (int i in list)
                        {
                            var o = kept[i];
                            var q = P(o);
                            double d = Math.Sqrt((p.X - q.X) * (p.X - q.X) + (p.Y - q.Y) * (p.Y - q.Y) + (p.Z - q.Z) * (p.Z - q.Z));
                            if (OverlapFraction(r, o.Sigma * root * unit, d, planar) > overlap) { suppressed = true; break; }
                        }
                    }
            if (suppressed) continue;
            if (!hash.TryGetValue((cx, cy, cz), out var own)) hash[(cx, cy, cz)] = own = [];
            own.Add(kept.Count);
            kept.Add(s);
        }
        return kept;
    }

    /// <summary>Intersection of two spheres (circles when planar) of radii r1, r2 at distance d, over the smaller one's volume (area).</summary>
    internal static double OverlapFraction(double r1, double r2, double d, bool planar)
    {
        double small = Math.Min(r1, r2), large = Math.Max(r1, r2);
        if (d >= r1 + r2) return 0;
        if (d <= large - small) return 1;
        if (planar)
        {
            double a1 = Math.Acos(Math.Clamp((d * d + r1 * r1 - r2 * r2) / (2 * d * r1), -1, 1));
            double a2 = Math.Acos(Math.Clamp((d * d + r2 * r2 - r1 * r1) / (2 * d * r2), -1, 1));
            double area = r1 * r1 * a1 + r2 * r2 * a2 - 0.5 * Math.Sqrt(Math.Max(0, (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2)));
            return area / (Math.PI * small * small);
        }
        double s = r1 + r2 - d;
        double v = Math.PI * s * s * (d * d + 2 * d * (r1 + r2) - 3 * (r1 - r2) * (r1 - r2)) / (12 * d);
        return v / (4.0 / 3.0 * Math.PI * small * small * small);
    }
}
