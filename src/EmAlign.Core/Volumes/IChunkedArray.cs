namespace EmAlign.Volumes;

/// <summary>
/// One stored N-dimensional array (one dataset at one resolution level), addressed by chunk.
/// Dimensions are in C order as stored, (z, y, x) or (c, z, y, x), x fastest.
/// Decoded chunks are always the full <see cref="ChunkShape"/>, C order, little-endian (native)
/// element bytes; formats convert byte order, F order and truncated edge chunks themselves.
/// Implementations are safe for concurrent calls on different chunks.
/// </summary>
public interface IChunkedArray : IDisposable
{
    /// <summary>File or folder holding this array (for messages).</summary>
    string Path { get; }

    DataType DataType { get; }

    /// <summary>Array shape in C order: (z, y, x) or (c, z, y, x).</summary>
    IReadOnlyList<long> Shape { get; }

    /// <summary>Chunk shape in C order, same rank as <see cref="Shape"/>.</summary>
    IReadOnlyList<int> ChunkShape { get; }

    /// <summary>Value of voxels in chunks that were never written (NaN allowed for floats).</summary>
    double FillValue { get; }

    bool CanWrite { get; }

    /// <summary>
    /// Decodes chunk <paramref name="chunkIndex"/> (C order grid coordinates) into <paramref name="destination"/>,
    /// whose length is the product of <see cref="ChunkShape"/> times the element size. Returns false when
    /// the chunk does not exist (the caller fills it). Throws <see cref="Diagnostics.CorruptDataException"/>
    /// for damaged data; never writes beyond <paramref name="destination"/>.
    /// </summary>
    bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination);

    /// <summary>Encodes and stores a full chunk (same layout as <see cref="TryReadChunk"/>), replacing what was there.</summary>
    void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data);

    /// <summary>Makes everything written durable and complete (e.g. writes a TIFF's directories). Idempotent.</summary>
    void Flush();
}
