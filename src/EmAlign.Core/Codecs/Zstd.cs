namespace EmAlign.Codecs;

/// <summary>
/// Zstandard (RFC 8878) in managed code: a complete decoder (all block, literal and sequence modes, multiple and
/// skippable frames, content checksums; no dictionaries) and an encoder (hash-chain matching, Huffman literals,
/// FSE sequences) whose frames always declare their content size, as numcodecs requires.
/// </summary>
public static class Zstd
{
    /// <summary>Lowest and highest compression levels; levels at or below 0 mean the default, 3.</summary>
    public const int MinLevel = 1, MaxLevel = 22, DefaultLevel = 3;

    /// <summary>
    /// Decodes all frames of <paramref name="src"/> into <paramref name="dst"/> and returns the bytes written.
    /// Throws <see cref="Diagnostics.CorruptDataException"/> for damaged or truncated data, a content-size or
    /// checksum mismatch, dictionary frames, and data that would not fit in <paramref name="dst"/> (nothing is
    /// ever written beyond it). Bytes of <paramref name="dst"/> past the returned length may be overwritten
    /// when a frame does not declare its content size.
    /// </summary>
    public static int Decompress(ReadOnlySpan<byte> src, Span<byte> dst) => ZstdDecoder.ForThread.Decompress(src, dst);

    /// <summary>
    /// Compresses <paramref name="src"/> into one frame with its content size declared. <paramref name="level"/>
    /// 1 (fastest) to 22 (smallest) sets the match-search effort; <paramref name="checksum"/> appends the XXH64
    /// content checksum.
    /// </summary>
    public static byte[] Compress(ReadOnlySpan<byte> src, int level = DefaultLevel, bool checksum = false) =>
        ZstdEncoder.ForThread.Compress(src, level, checksum);

    /// <summary>
    /// Total decoded size of the frames in <paramref name="src"/> as declared by their headers (skippable frames
    /// count 0); false when a frame does not declare it. Walks block headers only, no decoding.
    /// </summary>
    public static bool TryGetDecompressedSize(ReadOnlySpan<byte> src, out long size) => ZstdDecoder.TryGetDecompressedSize(src, out size);
}
