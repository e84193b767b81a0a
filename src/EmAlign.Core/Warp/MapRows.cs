using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
    private readonly Cells _cells = new(map);

    /// <summary>Marks a pixel whose sample position is unknown or far outside the source.</summary>
    public const int Invalid = int.MinValue;

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

    /// <summary>
    /// Sample positions of output row <paramref name="y"/>, pixels <paramref name="x0"/> … x0 + count − 1:
    /// for each, the integer pixel relative to (<paramref name="sourceX"/>, <paramref name="sourceY"/>)
    /// (floor, or rounded half up with <paramref name="round"/>) and the fraction. Along a row the map
    /// is linear within each node cell, so positions are computed per cell in float32 relative to a
    /// reference pixel fixed by the cell (R = floor of the node's pixel position); the arithmetic for a
    /// pixel therefore depends only on its absolute position, never on where a tile starts. Pixels
    /// next to an unknown node (non-zero weight) or more than 16 px outside the source get
    /// <see cref="Invalid"/>. The position buffers need room for count + 8 entries.
    /// </summary>
    public void Positions(long y, long x0, int count, long sourceX, long sourceY, int sourceWidth, int sourceHeight, bool round,
        Span<float> rowDx, Span<float> rowDy, Span<int> ix, Span<int> iy, Span<float> tx, Span<float> ty)
    {
        Row(y, rowDx, rowDy);
        float half = round ? 0.5f : 0f;
        int j0 = _cells.Of(x0);
        long baseY = y - sourceY;
        for (int c = 0; c < count; j0++)
        {
            int end = j0 < _width - 2 ? (int)Math.Clamp(_cells.Bounds[j0 + 1] - x0, c, count) : count;
            int j1 = _width > 1 ? j0 + 1 : j0;
            float a = rowDx[j0], d = rowDx[j1] - a, b = rowDy[j0], e = rowDy[j1] - b;
            long reference = _cells.Reference[j0];
            float offset = _cells.Offset[j0], inverseStride = _cells.InverseStride;
            long baseX = reference - sourceX;
            bool known = float.IsFinite(a) && float.IsFinite(b);
            bool cellKnown = known && float.IsFinite(d) && float.IsFinite(e);
            if (cellKnown && Vector256.IsHardwareAccelerated)
            {
                // Whole vectors; the last one may run past the cell (and the row), and those entries are
                // rewritten by the next cell (the buffers hold count + 8). Every pixel of a known cell takes
                // this path, so its arithmetic never depends on the tiling.
                var iota = Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7);
                var va = Vector256.Create(a);
                var vd = Vector256.Create(d);
                var vb = Vector256.Create(b);
                var ve = Vector256.Create(e);
                var vOffset = Vector256.Create(offset);
                var vInverse = Vector256.Create(inverseStride);
                var vHalf = Vector256.Create(half);
                var vBaseX = Vector256.Create((float)baseX);
                var vBaseY = Vector256.Create((float)baseY);
                var low = Vector256.Create(-16f);
                var highX = Vector256.Create(sourceWidth + 16f);
                var highY = Vector256.Create(sourceHeight + 16f);
                var invalid = Vector256.Create(Invalid);
                ref int rix = ref MemoryMarshal.GetReference(ix);
                ref int riy = ref MemoryMarshal.GetReference(iy);
                ref float rtx = ref MemoryMarshal.GetReference(tx);
                ref float rty = ref MemoryMarshal.GetReference(ty);
                for (; c < end; c += Vector256<float>.Count)
                {
                    var k = Vector256.Create((float)(x0 + c - reference)) + iota;
                    var t = (k + vOffset) * vInverse;
                    var u = k + (va + t * vd) + vHalf;
                    var v = vb + t * ve + vHalf;
                    var fu = Vector256.Floor(u);
                    var fv = Vector256.Floor(v);
                    var lx = vBaseX + fu;
                    var ly = vBaseY + fv;
                    var inside = Vector256.GreaterThan(lx, low) & Vector256.LessThan(lx, highX) & Vector256.GreaterThan(ly, low) & Vector256.LessThan(ly, highY);
                    Vector256.ConditionalSelect(inside.AsInt32(), Vector256.ConvertToInt32(lx), invalid).StoreUnsafe(ref rix, (nuint)c);
                    Vector256.ConvertToInt32(ly).StoreUnsafe(ref riy, (nuint)c);
                    (u - fu).StoreUnsafe(ref rtx, (nuint)c);
                    (v - fv).StoreUnsafe(ref rty, (nuint)c);
                }
                c = end;
                continue;
            }
            for (; c < end; c++)
            {
                int k = (int)(x0 + c - reference);
                float t = (k + offset) * inverseStride;
                if (!cellKnown && !(known && t == 0))
                {
                    ix[c] = Invalid;
                    continue;
                }
                // In a cell with an unknown end only the known node's own column (t = 0) is usable.
                float u = (cellKnown ? k + (a + t * d) : k + a) + half;
                float v = (cellKnown ? b + t * e : b) + half;
                float fu = MathF.Floor(u), fv = MathF.Floor(v);
                float lx = baseX + fu, ly = baseY + fv;
                if (!(lx > -16 && lx < sourceWidth + 16 && ly > -16 && ly < sourceHeight + 16))
                {
                    ix[c] = Invalid;
                    continue;
                }
                ix[c] = (int)lx;
                iy[c] = (int)ly;
                tx[c] = u - fu;
                ty[c] = v - fv;
            }
        }
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

    /// <summary>Which node cell each pixel column belongs to, and the per-cell reference pixels.</summary>
    private sealed class Cells
    {
        public Cells(CoordinateMap map)
        {
            int w = map.Width;
            Bounds = new long[w];
            Reference = new long[w];
            Offset = new float[w];
            InverseStride = (float)(1 / map.StrideX);
            for (int j = 0; j < w; j++)
            {
                double node = map.NodeX(j);
                Bounds[j] = (long)Math.Ceiling(node);
                Reference[j] = (long)Math.Floor(node);
                Offset[j] = (float)(Reference[j] - node);
            }
        }

        /// <summary>First pixel column of cell j (j ≥ 1); cell 0 extends to −∞ and the last to +∞.</summary>
        public long[] Bounds { get; }

        public long[] Reference { get; }

        public float[] Offset { get; }

        public float InverseStride { get; }

        public int Of(long x)
        {
            int last = Math.Max(0, Bounds.Length - 2);
            int j = (int)Math.Clamp(Math.Floor((x - (double)Reference[0]) * InverseStride), 0, last);
            while (j < last && x >= Bounds[j + 1]) j++;
            while (j > 0 && x < Bounds[j]) j--;
            return j;
        }
    }
}
