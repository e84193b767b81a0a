namespace EmAlign.Maps;

/// <summary>
/// Operations on <see cref="CoordinateMap"/>s (SOFIMA map_utils, spec §3). All return new maps unless
/// they say "in place"; sections are processed independently and in parallel.
/// </summary>
public static partial class CoordinateMaps
{
    /// <summary>
    /// Fills unknown (NaN) nodes, per section (spec §3.4).
    /// <list type="number">
    /// <item>No unknown node: returns a copy.</item>
    /// <item>No valid node in a section: zeros (identity) when <paramref name="invalidToZero"/>,
    /// otherwise the section stays unknown.</item>
    /// <item><paramref name="interpolateFirst"/>: unknown nodes inside the convex hull of the valid
    /// nodes get interpolated values (harmonic fill of the holes, exact for linear fields; see
    /// remarks); nodes outside the hull stay unknown. Valid nodes keep their values.</item>
    /// <item><paramref name="extrapolate"/>: every node still unknown takes the values of the nearest
    /// known node (Euclidean distance in node-index space).</item>
    /// </list>
    /// </summary>
    /// <remarks>
    /// SOFIMA interpolates on a Delaunay triangulation of the valid nodes; on a grid the two agree on
    /// linear fields and differ by second-order terms inside holes. Where the valid nodes are all
    /// collinear (SOFIMA's triangulation fails) step 3 leaves the section as it is.
    /// </remarks>
    public static CoordinateMap FillMissing(CoordinateMap map, bool extrapolate = false, bool invalidToZero = false, bool interpolateFirst = true)
    {
        var result = map.Clone();
        if (!map.HasInvalidNode()) return result;
        Parallel.For(0, map.Sections, z =>
        {
            var dx = result.Dx(z);
            var dy = result.Dy(z);
            if (!result.HasValidNode(z))
            {
                if (invalidToZero)
                {
                    dx.Clear();
                    dy.Clear();
                }
                return;
            }
            if (interpolateFirst) GridFill.InterpolateInHull(dx, dy, map.Width, map.Height);
            if (extrapolate) GridFill.ExtrapolateNearest(dx, dy, map.Width, map.Height);
        });
        return result;
    }
}
