using EmAlign.Geometry;
using EmAlign.Numerics;

namespace EmAlign.Volumes;

/// <summary>Options of <see cref="DataBoundingBoxFinder"/>.</summary>
public sealed record BoundingBoxOptions
{
    /// <summary>Level to work on; null picks the coarsest level that is still at least 256 voxels wide.</summary>
    public int? Level { get; init; }

    /// <summary>Gaussian blur of the minimum projection, in voxels of the working level.</summary>
    public double Sigma { get; init; } = 2;

    /// <summary>3x3 dilations of the thresholded mask before the largest component is taken.</summary>
    public int DilationIterations { get; init; } = 2;

    /// <summary>The projection is reduced (by block minimum) to at most this many pixels across, bounding memory.</summary>
    public int MaxWorkingSize { get; init; } = 1024;
}

/// <summary>The box that holds data: x, y, z start and size in mag-1 voxels, found at level <see cref="Level"/>.</summary>
public sealed record DataBoundingBoxResult(Box3 Box, int Level, Mag Mag, double Threshold);

/// <summary>
/// Finds where a stack holds data, as in SOFIMA's notebook: minimum projection over z on a coarse level,
/// Gaussian blur, Otsu threshold, dilation, largest connected component; the box is scaled to mag 1.
/// Blank (uniform) sections are left out of the projection so one missing section does not erase the box;
/// a stack without padding (no fill-valued pixels in the projection) is data everywhere in-plane;
/// and z is trimmed to the first and last section with content.
/// </summary>
public static class DataBoundingBoxFinder
{
    public static DataBoundingBoxResult Find(EmVolume volume, BoundingBoxOptions options, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        int level = options.Level ?? PickLevel(volume);
        if ((uint)level >= (uint)volume.Levels.Count)
            throw new Diagnostics.EmAlignException($"Level {level} does not exist: '{volume.Path}' has levels 0..{volume.Levels.Count - 1}.", "level");
        var lvl = volume.Levels[level];
        var (sx, sy, sz) = lvl.Size;
        int f = (int)Math.Max(1, Math.Ceiling(Math.Max(sx, sy) / (double)options.MaxWorkingSize));
        int w = (int)Box3.CeilDiv(sx, f), h = (int)Box3.CeilDiv(sy, f);
        var projection = new float[w * h];
        projection.AsSpan().Fill(float.PositiveInfinity);
        var section = new float[w * h];
        long zFirst = -1, zLast = -1;
        int band = Math.Max(f, lvl.ChunkSize.Y / f * f);
        for (long z = 0; z < sz; z++)
        {
            ct.ThrowIfCancellationRequested();
            section.AsSpan().Fill(float.PositiveInfinity);
            for (long y0 = 0; y0 < sy; y0 += band)
            {
                var box = new Box3(0, y0, z, sx, Math.Min(band, sy - y0), 1);
                var rows = volume.ReadSingle(level, box);
                // Channel 0 only: the first sx*rows voxels.
                for (int yy = 0; yy < box.SizeY; yy++)
                {
                    int ry = (int)((y0 + yy) / f);
                    var src = rows.AsSpan(yy * (int)sx, (int)sx);
                    var dst = section.AsSpan(ry * w, w);
                    for (int x = 0; x < src.Length; x++)
                    {
                        int rx = x / f;
                        if (src[x] < dst[rx]) dst[rx] = src[x];
                    }
                }
            }
            float mn = float.PositiveInfinity, mx = float.NegativeInfinity;
            foreach (var v in section) { if (v < mn) mn = v; if (v > mx) mx = v; }
            if (mx > mn)
            {
                if (zFirst < 0) zFirst = z;
                zLast = z;
                for (int i = 0; i < projection.Length; i++) if (section[i] < projection[i]) projection[i] = section[i];
            }
            progress?.Report(new ProgressInfo("Find-DataBoundingBox", $"section {z + 1} of {sz}", z + 1, sz));
        }
        if (zFirst < 0) return new DataBoundingBoxResult(default, level, lvl.Mag, double.NaN);

        // Padding around the data holds the fill value. Where the projection has (almost) none, every
        // section covers the whole frame, and Otsu would only split bright from dark tissue.
        float fill = (float)lvl.Array.FillValue;
        int background = 0;
        foreach (var v in projection) if (v <= fill) background++;
        bool padded = background >= projection.Length / 200;
        GaussianBlur.Apply(projection, w, h, options.Sigma);
        double t = padded ? Threshold.Otsu(projection) : fill;
        var mask = new bool[projection.Length];
        if (padded) for (int i = 0; i < mask.Length; i++) mask[i] = projection[i] > t;
        else mask.AsSpan().Fill(true);
        if (options.DilationIterations > 0) mask = BinaryMask.Dilate(mask, w, h, options.DilationIterations);
        var labels = BinaryMask.Label(mask, w, h, out int count);
        if (count == 0) return new DataBoundingBoxResult(default, level, lvl.Mag, t);
        var sizes = BinaryMask.ComponentSizes(labels, count);
        int best = 1;
        for (int i = 2; i <= count; i++) if (sizes[i] > sizes[best]) best = i;
        int x0 = w, y0b = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (labels[y * w + x] == best) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0b = Math.Min(y0b, y); y1 = Math.Max(y1, y); }
        var levelBox = Box3.FromBounds((long)x0 * f, (long)y0b * f, zFirst, Math.Min(sx, (long)(x1 + 1) * f), Math.Min(sy, (long)(y1 + 1) * f), zLast + 1);
        var mag1 = levelBox.FromMag(lvl.Mag).Intersect(volume.Bounds);
        return new DataBoundingBoxResult(mag1, level, lvl.Mag, t);
    }

    /// <summary>The coarsest level whose larger in-plane side still has at least 256 voxels.</summary>
    private static int PickLevel(EmVolume volume)
    {
        int pick = 0;
        for (int i = 1; i < volume.Levels.Count; i++)
        {
            var (x, y, _) = volume.Levels[i].Size;
            if (Math.Max(x, y) >= 256) pick = i;
        }
        return pick;
    }
}
