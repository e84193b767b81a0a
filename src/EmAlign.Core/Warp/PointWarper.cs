using EmAlign.Diagnostics;
using EmAlign.Maps;

namespace EmAlign.Warp;

/// <summary>A point in section pixels: x, y and the (absolute) section index z.</summary>
public readonly record struct SectionPoint(double X, double Y, long Z);

/// <summary>Moves points through a coordinate map (SOFIMA warp_points, spec §5.3).</summary>
public static class PointWarper
{
    /// <summary>
    /// Returns p + Δ(p) for each point, with Δ from <paramref name="map"/> in the point's section
    /// (z counted as in the map's box: local section = z − Box.Z), interpolated bilinearly and extended
    /// beyond the outer nodes as rendering does. z is unchanged. With a forward map (raw → aligned) this
    /// takes raw-section points, e.g. annotations, into aligned space.
    /// </summary>
    public static SectionPoint[] Warp(CoordinateMap map, IReadOnlyList<SectionPoint> points)
    {
        var result = new SectionPoint[points.Count];
        var rowDx = new float[map.Width];
        var rowDy = new float[map.Width];
        var evaluators = new MapRows?[map.Sections];
        for (int n = 0; n < points.Count; n++)
        {
            var p = points[n];
            long local = p.Z - map.Box.Z;
            if (local < 0 || local >= map.Sections)
                throw new EmAlignException($"Point {n} lies in section {p.Z}; the map covers sections {map.Box.Z}..{map.Box.EndZ - 1}.", "points");
            var rows = evaluators[local] ??= new MapRows(map, (int)local);
            rows.Row(p.Y, rowDx, rowDy);
            rows.At(p.X, rowDx, rowDy, out double du, out double dv);
            result[n] = new SectionPoint(p.X + du, p.Y + dv, p.Z);
        }
        return result;
    }
}
