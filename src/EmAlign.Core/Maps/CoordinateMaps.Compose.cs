using EmAlign.Diagnostics;

namespace EmAlign.Maps;

public static partial class CoordinateMaps
{
    /// <summary>
    /// Composition "<paramref name="first"/>, then <paramref name="second"/>" on the first map's grid
    /// (SOFIMA compose_maps(map1 = first, map2 = second), spec §3.6): for node p of
    /// <paramref name="first"/>, q = p + Δ1(p) and the result is q + Δ2(q) − p. Unknown nodes of
    /// <paramref name="second"/> inside the hull of its valid nodes are interpolated over (as SOFIMA
    /// leaves them out of its triangulation); the result is unknown where <paramref name="first"/> is
    /// unknown or q falls off <paramref name="second"/>'s grid or outside that hull.
    /// <paramref name="second"/> has as many sections as <paramref name="first"/>, or one section used for all.
    /// </summary>
    public static CoordinateMap Compose(CoordinateMap first, CoordinateMap second) => ComposeCore(first, second, fillHoles: true, clamp: false);

    /// <summary>
    /// Regular-grid composition (SOFIMA compose_maps_fast, spec §3.6): "<paramref name="first"/>, then
    /// <paramref name="second"/>" on the first map's grid, sampling Δ2 bilinearly at q = p + Δ1(p).
    /// Off <paramref name="second"/>'s grid the index is clamped to the edge, so the edge displacement
    /// continues; an unknown node of either map with a non-zero weight gives an unknown result
    /// (nothing is filled).
    /// </summary>
    /// <remarks>
    /// Two deliberate differences from SOFIMA: any grid starts are handled (SOFIMA is only right when
    /// the second map starts at or before the first), and clamping extends the edge <i>displacement</i>
    /// rather than the edge's absolute target, so points pushed past the edge keep moving with it
    /// instead of collapsing onto the edge node's target.
    /// </remarks>
    public static CoordinateMap ComposeFast(CoordinateMap first, CoordinateMap second) => ComposeCore(first, second, fillHoles: false, clamp: true);

    private static CoordinateMap ComposeCore(CoordinateMap first, CoordinateMap second, bool fillHoles, bool clamp)
    {
        if (second.Sections != first.Sections && second.Sections != 1)
            throw new EmAlignException($"The second map has {second.Sections} sections; expected 1 or {first.Sections} (the first map's).", "second");
        var source = second;
        if (fillHoles && second.HasInvalidNode())
            source = FillMissing(second);
        var result = new CoordinateMap(first.Box, first.StrideX, first.StrideY);
        int w = first.Width;
        Parallel.For(0, first.Sections, z =>
        {
            var d1x = first.Dx(z);
            var d1y = first.Dy(z);
            int z2 = source.Sections == 1 ? 0 : z;
            var d2x = source.Dx(z2);
            var d2y = source.Dy(z2);
            var outX = result.Dx(z);
            var outY = result.Dy(z);
            for (int i = 0; i < first.Height; i++)
            {
                double py = first.NodeY(i);
                for (int j = 0; j < w; j++)
                {
                    int k = i * w + j;
                    float ax = d1x[k], ay = d1y[k];
                    double fx = (first.NodeX(j) + ax) / source.StrideX - source.Box.X;
                    double fy = (py + ay) / source.StrideY - source.Box.Y;
                    if (float.IsFinite(ax) && float.IsFinite(ay)
                        && GridSampling.Bilinear(d2x, d2y, source.Width, source.Height, fx, fy, clamp, out double bx, out double by))
                    {
                        outX[k] = (float)(ax + bx);
                        outY[k] = (float)(ay + by);
                    }
                    else
                    {
                        outX[k] = float.NaN;
                        outY[k] = float.NaN;
                    }
                }
            }
        });
        return result;
    }
}
