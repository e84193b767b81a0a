using EmAlign.Geometry;

namespace EmAlign.Maps;

public static partial class CoordinateMaps
{
    /// <summary>
    /// The box that covers every point the map refers to (spec §3.8, outer_box): in units of
    /// <paramref name="targetLength"/> pixels (1 gives a pixel box; the map's stride gives a node box),
    /// start = floor(min/len), size = ceil(max/len) − start + 1 per axis over all sections' absolute
    /// positions. z is copied from the map's box. Empty when every node is unknown.
    /// </summary>
    /// <remarks>SOFIMA truncates the minimum toward zero before dividing; we floor, so a negative
    /// fractional minimum is covered too.</remarks>
    public static Box3 OuterBox(CoordinateMap map, double targetLength)
    {
        var abs = map.ToAbsolute();
        double minX = double.PositiveInfinity, maxX = double.NegativeInfinity;
        double minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
        for (int z = 0; z < map.Sections; z++)
        {
            int ox = map.Offset(0, z), oy = map.Offset(1, z);
            for (int k = 0; k < map.PlaneLength; k++)
            {
                double x = abs[ox + k], y = abs[oy + k];
                if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
                minX = Math.Min(minX, x);
                maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y);
                maxY = Math.Max(maxY, y);
            }
        }
        if (minX > maxX) return map.Box with { X = 0, Y = 0, SizeX = 0, SizeY = 0 };
        long x0 = (long)Math.Floor(minX / targetLength), y0 = (long)Math.Floor(minY / targetLength);
        return new Box3(x0, y0, map.Box.Z,
            (long)Math.Ceiling(maxX / targetLength) - x0 + 1,
            (long)Math.Ceiling(maxY / targetLength) - y0 + 1,
            map.Box.SizeZ);
    }

    /// <summary>
    /// The largest node box (at the map's stride) fully covered by the mapped positions (spec §3.8,
    /// inner_box): after <see cref="FillMissing"/> with extrapolation, x0 = the largest row minimum of
    /// the absolute x, x1 = the smallest row maximum, and likewise y down the columns, pooled over all
    /// sections; start = ceil(x0/stride), end = floor(x1/stride). z is copied from the map's box.
    /// </summary>
    public static Box3 InnerBox(CoordinateMap map)
    {
        var filled = FillMissing(map, extrapolate: true);
        var abs = filled.ToAbsolute();
        int w = map.Width, h = map.Height;
        double x0 = double.NegativeInfinity, x1 = double.PositiveInfinity;
        double y0 = double.NegativeInfinity, y1 = double.PositiveInfinity;
        for (int z = 0; z < map.Sections; z++)
        {
            // x along each row (lines i, step 1 along j), y down each column (lines j, step w along i).
            Tighten(abs, map.Offset(0, z), lines: h, lineStride: w, length: w, step: 1, ref x0, ref x1);
            Tighten(abs, map.Offset(1, z), lines: w, lineStride: 1, length: h, step: w, ref y0, ref y1);
        }
        if (!double.IsFinite(x0) || !double.IsFinite(y0) || !double.IsFinite(x1) || !double.IsFinite(y1))
            return map.Box with { X = 0, Y = 0, SizeX = 0, SizeY = 0 };
        long sx = (long)Math.Ceiling(x0 / map.StrideX), ex = (long)Math.Floor(x1 / map.StrideX);
        long sy = (long)Math.Ceiling(y0 / map.StrideY), ey = (long)Math.Floor(y1 / map.StrideY);
        return new Box3(sx, sy, map.Box.Z, Math.Max(0, ex - sx + 1), Math.Max(0, ey - sy + 1), map.Box.SizeZ);
    }

    /// <summary>Raises <paramref name="start"/> to the largest line minimum and lowers <paramref name="end"/> to the smallest line maximum (finite values only; lines without any are skipped).</summary>
    private static void Tighten(ReadOnlySpan<double> values, int offset, int lines, int lineStride, int length, int step, ref double start, ref double end)
    {
        for (int l = 0; l < lines; l++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int k = 0; k < length; k++)
            {
                double v = values[offset + l * lineStride + k * step];
                if (!double.IsFinite(v)) continue;
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
            if (lo > hi) continue;
            start = Math.Max(start, lo);
            end = Math.Min(end, hi);
        }
    }
}
