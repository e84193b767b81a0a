using EmAlign.Diagnostics;
using EmAlign.Geometry;

namespace EmAlign.Maps;

public static partial class CoordinateMaps
{
    /// <summary>
    /// The relative map of an affine transform on a node grid (spec §3.10): node p (pixels) gets
    /// A·p + t − p. <paramref name="matrix"/> is the row-major 2×3 matrix [a00 a01 t0; a10 a11 t1]
    /// taking (x, y) to (a00·x + a01·y + t0, a10·x + a11·y + t1) in pixels; it goes the way the map
    /// will be used (fixed → moving for an inverse map that rendering takes). Every section gets the
    /// same values.
    /// </summary>
    /// <remarks>SOFIMA places the nodes at index·stride + box.start (box start not scaled); we use the
    /// map convention (box.start + index)·stride throughout.</remarks>
    public static CoordinateMap MakeAffine(ReadOnlySpan<double> matrix, Box3 box, double strideX, double strideY)
    {
        if (matrix.Length != 6)
            throw new EmAlignException($"An in-plane affine matrix has 6 entries (2x3, row-major); found {matrix.Length}.", "matrix");
        var map = new CoordinateMap(box, strideX, strideY);
        for (int z = 0; z < map.Sections; z++)
        {
            var dx = map.Dx(z);
            var dy = map.Dy(z);
            for (int i = 0; i < map.Height; i++)
            {
                double y = map.NodeY(i);
                for (int j = 0; j < map.Width; j++)
                {
                    double x = map.NodeX(j);
                    dx[i * map.Width + j] = (float)(matrix[0] * x + matrix[1] * y + matrix[2] - x);
                    dy[i * map.Width + j] = (float)(matrix[3] * x + matrix[4] * y + matrix[5] - y);
                }
            }
        }
        return map;
    }
}
