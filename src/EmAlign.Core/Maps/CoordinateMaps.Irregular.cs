namespace EmAlign.Maps;

public static partial class CoordinateMaps
{
    /// <summary>
    /// Finds folded or over-stretched nodes (spec §3.9), without changing the map. The actual spacing
    /// to the right neighbour is Δx(i, j+1) − Δx(i, j) + strideX (the last column counts as strideX),
    /// and likewise downwards; a node is irregular when either spacing is below
    /// <paramref name="frac"/>·stride or above <paramref name="maxFrac"/>·stride (default 2 − frac).
    /// The result is dilated with the 8-connected 3×3 element <paramref name="dilationIterations"/>
    /// times. Unknown spacings are never flagged. Returns the mask, [z][y][x], true = irregular.
    /// </summary>
    public static bool[] FindIrregular(CoordinateMap map, double frac, double? maxFrac = null, int dilationIterations = 1)
    {
        double hi = maxFrac ?? 2 - frac;
        int w = map.Width, h = map.Height, n = map.PlaneLength;
        var mask = new bool[map.Sections * n];
        Parallel.For(0, map.Sections, z =>
        {
            var dx = map.Dx(z);
            var dy = map.Dy(z);
            var bad = mask.AsSpan(z * n, n);
            for (int i = 0; i < h; i++)
            {
                for (int j = 0; j < w; j++)
                {
                    int k = i * w + j;
                    double spaceX = j + 1 < w ? dx[k + 1] - dx[k] + map.StrideX : map.StrideX;
                    double spaceY = i + 1 < h ? dy[k + w] - dy[k] + map.StrideY : map.StrideY;
                    bad[k] = spaceX < frac * map.StrideX || spaceX > hi * map.StrideX
                          || spaceY < frac * map.StrideY || spaceY > hi * map.StrideY;
                }
            }
            var scratch = new bool[n];
            for (int iteration = 0; iteration < dilationIterations; iteration++)
            {
                bad.CopyTo(scratch);
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < w; j++)
                    {
                        if (!scratch[i * w + j]) continue;
                        for (int ii = Math.Max(0, i - 1); ii <= Math.Min(h - 1, i + 1); ii++)
                            for (int jj = Math.Max(0, j - 1); jj <= Math.Min(w - 1, j + 1); jj++)
                                bad[ii * w + jj] = true;
                    }
                }
            }
        });
        return mask;
    }

    /// <summary>
    /// <see cref="FindIrregular"/>, then sets the irregular nodes to NaN <b>in place</b> (SOFIMA
    /// mask_irregular). Returns the mask.
    /// </summary>
    public static bool[] MaskIrregular(CoordinateMap map, double frac, double? maxFrac = null, int dilationIterations = 1)
    {
        var mask = FindIrregular(map, frac, maxFrac, dilationIterations);
        int n = map.PlaneLength;
        for (int z = 0; z < map.Sections; z++)
        {
            var dx = map.Dx(z);
            var dy = map.Dy(z);
            for (int k = 0; k < n; k++)
            {
                if (!mask[z * n + k]) continue;
                dx[k] = float.NaN;
                dy[k] = float.NaN;
            }
        }
        return mask;
    }
}
