using System.Runtime.InteropServices;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Zarr;

/// <summary>Deterministic test blocks that exercise every byte of every element type (sign, high bytes, fractions).</summary>
internal static class PatternData
{
    public static readonly DataType[] AllTypes = Enum.GetValues<DataType>();

    /// <summary>A (c,) z, y, x C-order block of <paramref name="type"/> elements with distinct, type-spanning values.</summary>
    public static byte[] Make(DataType type, long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var bytes = new byte[n * type.Size()];
        for (long i = 0; i < n; i++)
        {
            // A multiplicative hash spreads values over the whole range, including sign bits and NaN-free floats.
            ulong h = (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;
            var d = bytes.AsSpan((int)(i * type.Size()), type.Size());
            switch (type)
            {
                case DataType.Float32: MemoryMarshal.Write(d, (float)((long)(h >> 40) - (1L << 23)) / 1024f); break;
                case DataType.Float64: MemoryMarshal.Write(d, (double)((long)(h >> 11) - (1L << 52)) / 4096.0); break;
                default: for (int b = 0; b < d.Length; b++) d[b] = (byte)(h >> (8 * b)); break;
            }
        }
        return bytes;
    }
}
