namespace EmAlign.Codecs;

/// <summary>
/// A bytes-to-bytes compressor as used inside chunk files (zlib, gzip, lz4, bz2, blosc, ...).
/// </summary>
public interface IChunkCodec
{
    /// <summary>Identifier as the CLI writes it: "zlib", "gzip", "lz4", "bz2", "blosc-lz4", ...</summary>
    string Name { get; }

    /// <summary>Compresses <paramref name="source"/>; <paramref name="elementSize"/> guides shuffling codecs.</summary>
    byte[] Encode(ReadOnlySpan<byte> source, int elementSize);

    /// <summary>
    /// Decompresses into <paramref name="destination"/> and returns the number of bytes produced.
    /// Must throw <see cref="Diagnostics.CorruptDataException"/> when the stream is damaged or would
    /// produce more than destination.Length bytes (never allocates beyond the declared chunk).
    /// </summary>
    int Decode(ReadOnlySpan<byte> source, Span<byte> destination);
}
