using System.Numerics;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// Constants and code tables of the Zstandard format (RFC 8878) shared by <see cref="ZstdDecoder"/> and
/// <see cref="ZstdEncoder"/>.
/// </summary>
internal static class ZstdFormat
{
    public const uint FrameMagic = 0xFD2FB528u;
    public const uint SkippableMagic = 0x184D2A50u;
    public const uint SkippableMagicMask = 0xFFFFFFF0u;

    /// <summary>Largest decoded size of one block (and largest compressed block).</summary>
    public const int BlockSizeMax = 128 * 1024;

    /// <summary>Largest window the decoder accepts (2^31, as libzstd on 64-bit hosts).</summary>
    public const int WindowLogMax = 31;

    public const int MaxLiteralLengthCode = 35, MaxMatchLengthCode = 52, MaxOffsetCode = 31;
    public const int LiteralLengthLogMax = 9, MatchLengthLogMax = 9, OffsetLogMax = 8;
    public const int LiteralLengthDefaultLog = 6, MatchLengthDefaultLog = 6, OffsetDefaultLog = 5;

    /// <summary>Huffman codes: at most 11 bits per RFC 8878; libzstd decoders accept 12, so do we.</summary>
    public const int HuffmanLogMax = 12;
    public const int HuffmanEncodeLogMax = 11;

    /// <summary>Huffman weights are FSE-coded with at most this accuracy.</summary>
    public const int WeightLogMax = 6;

    public static ReadOnlySpan<uint> LiteralLengthBase =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
    ];

    public static ReadOnlySpan<byte> LiteralLengthBits =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ];

    public static ReadOnlySpan<uint> MatchLengthBase =>
    [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
        35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539,
    ];

    public static ReadOnlySpan<byte> MatchLengthBits =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ];

    /// <summary>Predefined distributions (RFC 8878 §3.1.1.3.2.2); -1 means "less than 1".</summary>
    public static ReadOnlySpan<short> DefaultLiteralLengthNorm =>
    [
        4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1,
    ];

    public static ReadOnlySpan<short> DefaultMatchLengthNorm =>
    [
        1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
    ];

    public static ReadOnlySpan<short> DefaultOffsetNorm =>
    [
        1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
    ];

    /// <summary>Index of the highest set bit of a non-zero value.</summary>
    public static int HighBit(uint v) => BitOperations.Log2(v);

    /// <summary>
    /// Spreads the symbols of a normalized distribution over the FSE state table (RFC 8878 §4.1.1):
    /// "less than 1" symbols take single cells from the top, the rest are scattered with a fixed odd step.
    /// Encoder and decoder must use this same placement. Returns false when the counts do not fill the table.
    /// </summary>
    public static bool SpreadSymbols(ReadOnlySpan<short> norm, int tableLog, Span<byte> symbolAt)
    {
        int tableSize = 1 << tableLog;
        int high = tableSize - 1;
        for (int s = 0; s < norm.Length; s++)
        {
            if (norm[s] == -1)
            {
                if (high < 0) return false;
                symbolAt[high--] = (byte)s;
            }
        }
        int mask = tableSize - 1, step = (tableSize >> 1) + (tableSize >> 3) + 3, pos = 0;
        for (int s = 0; s < norm.Length; s++)
        {
            for (int i = 0; i < norm[s]; i++)
            {
                if (pos > high) return false;
                symbolAt[pos] = (byte)s;
                do pos = (pos + step) & mask; while (pos > high);
            }
        }
        return pos == 0;
    }

    /// <summary>The error every malformed stream raises.</summary>
    public static CorruptDataException Corrupt(string what) => new($"zstd stream is corrupt: {what}.");
}
