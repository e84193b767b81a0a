using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace EmAlign.Formats.Tiff;

/// <summary>Undoes TIFF predictors on decoded strips or tiles, row by row.</summary>
internal static class TiffPredictor
{
    /// <summary>
    /// Predictor 2 (horizontal differencing) on native-order integers of <paramref name="bytesPerSample"/>:
    /// a running sum along each row of <paramref name="rowSamples"/> values, modulo 2^bits.
    /// </summary>
    public static void UndoHorizontal(Span<byte> block, int rowSamples, int bytesPerSample)
    {
        switch (bytesPerSample)
        {
            case 1: Accumulate(block, rowSamples); break;
            case 2: Accumulate(MemoryMarshal.Cast<byte, ushort>(block), rowSamples); break;
            case 4: Accumulate(MemoryMarshal.Cast<byte, uint>(block), rowSamples); break;
            default: Accumulate(MemoryMarshal.Cast<byte, ulong>(block), rowSamples); break;
        }
    }

    private static void Accumulate<T>(Span<T> values, int rowSamples) where T : unmanaged, IBinaryInteger<T>
    {
        for (int r = 0; r + rowSamples <= values.Length; r += rowSamples)
        {
            var row = values.Slice(r, rowSamples);
            T sum = row[0];
            for (int i = 1; i < row.Length; i++) row[i] = sum += row[i];
        }
    }

    /// <summary>
    /// Predictor 3 (floating point, libtiff): each row holds the values' bytes regrouped most significant first
    /// and then byte-differenced. Undoing it yields native little-endian values whatever the file's byte order.
    /// </summary>
    public static void UndoFloatingPoint(Span<byte> block, int rowSamples, int bytesPerSample)
    {
        int rowBytes = rowSamples * bytesPerSample;
        byte[] rented = ArrayPool<byte>.Shared.Rent(rowBytes);
        try
        {
            var tmp = rented.AsSpan(0, rowBytes);
            for (int r = 0; r + rowBytes <= block.Length; r += rowBytes)
            {
                var row = block.Slice(r, rowBytes);
                byte sum = row[0];
                for (int i = 1; i < row.Length; i++) row[i] = sum += row[i];
                for (int k = 0; k < bytesPerSample; k++)
                {
                    // Significance plane k (0 = most significant) becomes byte (bps - 1 - k) of each little-endian value.
                    var plane = row.Slice(k * rowSamples, rowSamples);
                    int at = bytesPerSample - 1 - k;
                    for (int i = 0; i < rowSamples; i++) tmp[i * bytesPerSample + at] = plane[i];
                }
                tmp.CopyTo(row);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
