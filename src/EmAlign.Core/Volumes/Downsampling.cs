using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>How a group of fine voxels becomes one coarse voxel.</summary>
public enum DownsampleFilter
{
    /// <summary>The average, rounded to the nearest integer for integer types (images).</summary>
    Mean,

    /// <summary>The median (the mean of the two middle values for even groups), as WEBKNOSSOS does for color layers.</summary>
    Median,

    /// <summary>The most frequent value, the smallest one on ties (segmentation labels).</summary>
    Mode,

    /// <summary>The group's first voxel (lowest x, y, z): no new values, fastest.</summary>
    Nearest,

    /// <summary>The largest value (masks, thin bright structures).</summary>
    Max,
}

/// <summary>
/// Reduces blocks by whole factors per axis. Blocks are (c,) z, y, x in C order, x fastest, native element bytes.
/// Groups at the far edge of a block whose size is not a multiple of the factor hold fewer voxels; they are
/// reduced over the voxels they have (so edges are not darkened by missing data).
/// </summary>
public static class Downsampler
{
    /// <summary>Size of the reduced block along one axis: the source size divided by the factor, rounded up.</summary>
    public static long ReducedSize(long size, int factor) => Box3.CeilDiv(size, factor);

    /// <summary>
    /// Reduces <paramref name="source"/> (<paramref name="channels"/> channels of <paramref name="size"/> voxels, x, y, z)
    /// by <paramref name="factor"/> into <paramref name="destination"/> (channels of the reduced size).
    /// </summary>
    public static void Reduce(ReadOnlySpan<byte> source, DataType type, int channels, (int X, int Y, int Z) size, Mag factor,
        DownsampleFilter filter, Span<byte> destination)
    {
        if (factor.X < 1 || factor.Y < 1 || factor.Z < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "Factors are whole numbers >= 1.");
        long n = (long)size.X * size.Y * size.Z * channels;
        var d = ((int)ReducedSize(size.X, factor.X), (int)ReducedSize(size.Y, factor.Y), (int)ReducedSize(size.Z, factor.Z));
        long m = (long)d.Item1 * d.Item2 * d.Item3 * channels;
        int es = type.Size();
        if (source.Length < n * es) throw new ArgumentException($"Source holds {source.Length} bytes; {size} x {channels} voxels need {n * es}.", nameof(source));
        if (destination.Length < m * es) throw new ArgumentException($"Destination holds {destination.Length} bytes; the reduced block needs {m * es}.", nameof(destination));
        var g = new Geometry3(size.X, size.Y, size.Z, factor.X, factor.Y, factor.Z, d.Item1, d.Item2, d.Item3);
        for (int c = 0; c < channels; c++)
        {
            var src = source.Slice((int)(c * g.SourceCount * es), (int)(g.SourceCount * es));
            var dst = destination.Slice((int)(c * g.ReducedCount * es), (int)(g.ReducedCount * es));
            switch (type)
            {
                case DataType.UInt8: Run<byte>(src, dst, g, filter); break;
                case DataType.Int8: Run<sbyte>(src, dst, g, filter); break;
                case DataType.UInt16: Run<ushort>(src, dst, g, filter); break;
                case DataType.Int16: Run<short>(src, dst, g, filter); break;
                case DataType.UInt32: Run<uint>(src, dst, g, filter); break;
                case DataType.Int32: Run<int>(src, dst, g, filter); break;
                case DataType.UInt64: Run<ulong>(src, dst, g, filter); break;
                case DataType.Int64: Run<long>(src, dst, g, filter); break;
                case DataType.Float32: Run<float>(src, dst, g, filter); break;
                default: Run<double>(src, dst, g, filter); break;
            }
        }
    }

    private readonly record struct Geometry3(int Sx, int Sy, int Sz, int Fx, int Fy, int Fz, int Dx, int Dy, int Dz)
    {
        public long SourceCount => (long)Sx * Sy * Sz;
        public long ReducedCount => (long)Dx * Dy * Dz;
    }

    private static void Run<T>(ReadOnlySpan<byte> source, Span<byte> destination, Geometry3 g, DownsampleFilter filter)
        where T : unmanaged, INumber<T>
    {
        var src = MemoryMarshal.Cast<byte, T>(source);
        var dst = MemoryMarshal.Cast<byte, T>(destination);
        switch (filter)
        {
            case DownsampleFilter.Mean when typeof(T) == typeof(byte):
                MeanBytes(MemoryMarshal.Cast<T, byte>(src), MemoryMarshal.Cast<T, byte>(dst), g);
                break;
            case DownsampleFilter.Mean: Mean(src, dst, g); break;
            case DownsampleFilter.Nearest: Nearest(src, dst, g); break;
            default: Groups(src, dst, g, filter); break;
        }
    }

    /// <summary>
    /// uint8 mean: the rows of one output row's group are summed into a ushort/int accumulator row, then
    /// x pairs (or groups) are folded; (sum + n/2) / n rounds half up.
    /// </summary>
    private static void MeanBytes(ReadOnlySpan<byte> src, Span<byte> dst, Geometry3 g)
    {
        var acc = ArrayPool<int>.Shared.Rent(g.Sx);
        try
        {
            var a = acc.AsSpan(0, g.Sx);
            for (int oz = 0; oz < g.Dz; oz++)
            {
                int z0 = oz * g.Fz, z1 = Math.Min(z0 + g.Fz, g.Sz);
                for (int oy = 0; oy < g.Dy; oy++)
                {
                    int y0 = oy * g.Fy, y1 = Math.Min(y0 + g.Fy, g.Sy);
                    a.Clear();
                    for (int z = z0; z < z1; z++)
                        for (int y = y0; y < y1; y++)
                            AddRow(src.Slice((z * g.Sy + y) * g.Sx, g.Sx), a);
                    int rows = (z1 - z0) * (y1 - y0);
                    var outRow = dst.Slice((oz * g.Dy + oy) * g.Dx, g.Dx);
                    if (g.Fx == 2 && g.Sx % 2 == 0)
                    {
                        int n = 2 * rows, half = rows;
                        for (int ox = 0; ox < g.Dx; ox++) outRow[ox] = (byte)((a[2 * ox] + a[2 * ox + 1] + half) / n);
                    }
                    else
                    {
                        for (int ox = 0; ox < g.Dx; ox++)
                        {
                            int x0 = ox * g.Fx, x1 = Math.Min(x0 + g.Fx, g.Sx), s = 0;
                            for (int x = x0; x < x1; x++) s += a[x];
                            int n = rows * (x1 - x0);
                            outRow[ox] = (byte)((s + n / 2) / n);
                        }
                    }
                }
            }
        }
        finally { ArrayPool<int>.Shared.Return(acc); }
    }

    private static void AddRow(ReadOnlySpan<byte> row, Span<int> acc)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<byte>.Count)
        {
            var accInts = MemoryMarshal.Cast<int, Vector<int>>(acc);
            for (; i + Vector<byte>.Count <= row.Length; i += Vector<byte>.Count)
            {
                var v = new Vector<byte>(row[i..]);
                Vector.Widen(v, out Vector<ushort> lo, out Vector<ushort> hi);
                Vector.Widen(lo, out Vector<uint> a0, out Vector<uint> a1);
                Vector.Widen(hi, out Vector<uint> a2, out Vector<uint> a3);
                int k = i / Vector<int>.Count;
                accInts[k] += Vector.AsVectorInt32(a0);
                accInts[k + 1] += Vector.AsVectorInt32(a1);
                accInts[k + 2] += Vector.AsVectorInt32(a2);
                accInts[k + 3] += Vector.AsVectorInt32(a3);
            }
        }
        for (; i < row.Length; i++) acc[i] += row[i];
    }

    private static void Mean<T>(ReadOnlySpan<T> src, Span<T> dst, Geometry3 g) where T : unmanaged, INumber<T>
    {
        bool isFloat = typeof(T) == typeof(float) || typeof(T) == typeof(double);
        var acc = ArrayPool<double>.Shared.Rent(g.Sx);
        try
        {
            var a = acc.AsSpan(0, g.Sx);
            for (int oz = 0; oz < g.Dz; oz++)
            {
                int z0 = oz * g.Fz, z1 = Math.Min(z0 + g.Fz, g.Sz);
                for (int oy = 0; oy < g.Dy; oy++)
                {
                    int y0 = oy * g.Fy, y1 = Math.Min(y0 + g.Fy, g.Sy);
                    a.Clear();
                    for (int z = z0; z < z1; z++)
                        for (int y = y0; y < y1; y++)
                        {
                            var row = src.Slice((z * g.Sy + y) * g.Sx, g.Sx);
                            for (int x = 0; x < row.Length; x++) a[x] += double.CreateTruncating(row[x]);
                        }
                    int rows = (z1 - z0) * (y1 - y0);
                    var outRow = dst.Slice((oz * g.Dy + oy) * g.Dx, g.Dx);
                    for (int ox = 0; ox < g.Dx; ox++)
                    {
                        int x0 = ox * g.Fx, x1 = Math.Min(x0 + g.Fx, g.Sx);
                        double s = 0;
                        for (int x = x0; x < x1; x++) s += a[x];
                        double mean = s / (rows * (x1 - x0));
                        outRow[ox] = isFloat ? T.CreateTruncating(mean) : T.CreateSaturating(Math.Round(mean, MidpointRounding.AwayFromZero));
                    }
                }
            }
        }
        finally { ArrayPool<double>.Shared.Return(acc); }
    }

    private static void Nearest<T>(ReadOnlySpan<T> src, Span<T> dst, Geometry3 g) where T : unmanaged
    {
        for (int oz = 0; oz < g.Dz; oz++)
            for (int oy = 0; oy < g.Dy; oy++)
            {
                var row = src.Slice((oz * g.Fz * g.Sy + oy * g.Fy) * g.Sx, g.Sx);
                var outRow = dst.Slice((oz * g.Dy + oy) * g.Dx, g.Dx);
                for (int ox = 0; ox < g.Dx; ox++) outRow[ox] = row[ox * g.Fx];
            }
    }

    /// <summary>Filters that look at each group as a whole (median, mode, max): the group is gathered, then reduced.</summary>
    private static void Groups<T>(ReadOnlySpan<T> src, Span<T> dst, Geometry3 g, DownsampleFilter filter) where T : unmanaged, INumber<T>
    {
        int cap = g.Fx * g.Fy * g.Fz;
        var buffer = ArrayPool<T>.Shared.Rent(cap);
        try
        {
            var group = buffer.AsSpan(0, cap);
            for (int oz = 0; oz < g.Dz; oz++)
            {
                int z0 = oz * g.Fz, z1 = Math.Min(z0 + g.Fz, g.Sz);
                for (int oy = 0; oy < g.Dy; oy++)
                {
                    int y0 = oy * g.Fy, y1 = Math.Min(y0 + g.Fy, g.Sy);
                    var outRow = dst.Slice((oz * g.Dy + oy) * g.Dx, g.Dx);
                    for (int ox = 0; ox < g.Dx; ox++)
                    {
                        int x0 = ox * g.Fx, x1 = Math.Min(x0 + g.Fx, g.Sx), k = 0;
                        for (int z = z0; z < z1; z++)
                            for (int y = y0; y < y1; y++)
                            {
                                var row = src.Slice((z * g.Sy + y) * g.Sx + x0, x1 - x0);
                                row.CopyTo(group[k..]);
                                k += row.Length;
                            }
                        outRow[ox] = filter switch
                        {
                            DownsampleFilter.Max => MaxOf(group[..k]),
                            DownsampleFilter.Median => MedianOf(group[..k]),
                            _ => ModeOf(group[..k]),
                        };
                    }
                }
            }
        }
        finally { ArrayPool<T>.Shared.Return(buffer); }
    }

    private static T MaxOf<T>(Span<T> v) where T : unmanaged, INumber<T>
    {
        T m = v[0];
        for (int i = 1; i < v.Length; i++) if (v[i] > m) m = v[i];
        return m;
    }

    private static T MedianOf<T>(Span<T> v) where T : unmanaged, INumber<T>
    {
        v.Sort();
        int h = v.Length / 2;
        if (v.Length % 2 == 1) return v[h];
        double mean = (double.CreateTruncating(v[h - 1]) + double.CreateTruncating(v[h])) / 2;
        return typeof(T) == typeof(float) || typeof(T) == typeof(double) ? T.CreateTruncating(mean) : T.CreateSaturating(Math.Round(mean, MidpointRounding.AwayFromZero));
    }

    /// <summary>Most frequent value, smallest on ties: sort, then the longest run.</summary>
    private static T ModeOf<T>(Span<T> v) where T : unmanaged, INumber<T>
    {
        v.Sort();
        T best = v[0];
        int bestRun = 0;
        for (int i = 0; i < v.Length;)
        {
            int j = i + 1;
            while (j < v.Length && v[j] == v[i]) j++;
            if (j - i > bestRun) { bestRun = j - i; best = v[i]; }
            i = j;
        }
        return best;
    }
}
