namespace EmAlign.Volumes;

/// <summary>An in-memory chunked array: scratch volumes, synthetic data and tests. Chunks are allocated when first written.</summary>
public sealed class MemoryChunkedArray : IChunkedArray
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _chunks = new();
    private readonly long[] _shape;
    private readonly int[] _chunkShape;

    public MemoryChunkedArray(DataType dataType, IReadOnlyList<long> shape, IReadOnlyList<int> chunkShape, double fillValue = 0, string path = "memory")
    {
        if (shape.Count != chunkShape.Count || shape.Count is < 3 or > 4)
            throw new ArgumentException("Shape and chunk shape must both be (z, y, x) or (c, z, y, x).");
        DataType = dataType;
        _shape = [.. shape];
        _chunkShape = [.. chunkShape];
        FillValue = fillValue;
        Path = path;
    }

    public string Path { get; }
    public DataType DataType { get; }
    public IReadOnlyList<long> Shape => _shape;
    public IReadOnlyList<int> ChunkShape => _chunkShape;
    public double FillValue { get; }
    public bool CanWrite => true;

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        if (!_chunks.TryGetValue(Key(chunkIndex), out var data)) return false;
        data.CopyTo(destination);
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data) => _chunks[Key(chunkIndex)] = data.ToArray();

    public void Flush() { }

    public void Dispose() => _chunks.Clear();

    private static string Key(ReadOnlySpan<long> idx) => string.Join('.', idx.ToArray());
}
