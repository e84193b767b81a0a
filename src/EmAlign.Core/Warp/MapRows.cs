using System.Runtime.CompilerServices;
using EmAlign.Maps;

namespace EmAlign.Warp;

/// <summary>
/// Dense evaluation of one section of a coordinate map at pixel positions: bilinear between nodes,
/// and beyond the outer nodes the edge cells' bilinear functions continue (extrapolation), as SOFIMA
/// does. Evaluated one output row at a time: first the map rows are blended at y, then each pixel
/// interpolates along that row. A zero weight never spreads NaN from an unknown node.
/// </summary>
internal sealed class MapRows(CoordinateMap map, int section)
{
    private readonly float[] _data = map.Data;
    private readonly int _offsetX = map.Offset(0, section);
    private readonly int _offsetY = map.Offset(1, section);
    private readonly int _width = map.Width;
    private readonly int _height = map.Height;
    private readonly double _strideX = map.StrideX;
    private readonly double _strideY = map.StrideY;
    private readonly long _boxX = map.Box.X;
    private readonly long _boxY = map.Box.Y;

    /// <summary>The map's Δx and Δy blended to pixel row <paramref name="y"/>, one value per node column.</summary>
    public void Row(double y, Span<float> rowDx, Span<float> rowDy)
    {
        var (i0, t) = Cell(y / _strideY - _boxY, _height);
        int a = i0 * _width, b = a + (_height > 1 ? _width : 0);
        for (int j = 0; j < _width; j++)
        {
            rowDx[j] = (float)Lerp(_data[_offsetX + a + j], _data[_offsetX + b + j], t);
            rowDy[j] = (float)Lerp(_data[_offsetY + a + j], _data[_offsetY + b + j], t);
        }
    }

    /// <summary>Δ at pixel column <paramref name="x"/> of a row prepared by <see cref="Row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void At(double x, ReadOnlySpan<float> rowDx, ReadOnlySpan<float> rowDy, out double du, out double dv)
    {
        var (j0, t) = Cell(x / _strideX - _boxX, _width);
        int j1 = _width > 1 ? j0 + 1 : j0;
        du = Lerp(rowDx[j0], rowDx[j1], t);
        dv = Lerp(rowDy[j0], rowDy[j1], t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Start, double T) Cell(double f, int nodes)
    {
        if (nodes == 1) return (0, 0);
        int i0 = (int)Math.Clamp(Math.Floor(f), 0, nodes - 2);
        return (i0, f - i0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Lerp(double a, double b, double t) => t == 0 ? a : t == 1 ? b : a + t * (b - a);
}
