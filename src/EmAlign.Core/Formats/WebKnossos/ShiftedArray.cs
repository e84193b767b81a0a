using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>
/// A stored array seen from a whole number of chunks further on (per logical axis): chunk i of this view is chunk
/// i + shift of the stored array. Lets a WEBKNOSSOS layer whose data starts at its bounding box's topLeft (arrays are
/// addressed from voxel 0) be a volume whose voxel (0, 0, 0) is that corner, without copying or re-chunking.
/// </summary>
internal sealed class ShiftedArray : IChunkedArray
{
    private readonly IChunkedArray _inner;
    private readonly long[] _shift;   // in chunks, per logical axis ((c,) z, y, x)
    private readonly long[] _shape;

    public ShiftedArray(IChunkedArray inner, long[] chunkShift)
    {
        _inner = inner;
        _shift = chunkShift;
        _shape = [.. inner.Shape.Select((s, i) => Math.Max(0, s - chunkShift[i] * inner.ChunkShape[i]))];
    }

    /// <summary>The stored array.</summary>
    public IChunkedArray Inner => _inner;

    public string Path => _inner.Path;
    public DataType DataType => _inner.DataType;
    public IReadOnlyList<long> Shape => _shape;
    public IReadOnlyList<int> ChunkShape => _inner.ChunkShape;
    public double FillValue => _inner.FillValue;
    public bool CanWrite => _inner.CanWrite;

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        Span<long> idx = stackalloc long[chunkIndex.Length];
        Shift(chunkIndex, idx);
        return _inner.TryReadChunk(idx, destination);
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
    {
        Span<long> idx = stackalloc long[chunkIndex.Length];
        Shift(chunkIndex, idx);
        _inner.WriteChunk(idx, data);
    }

    public void Flush() => _inner.Flush();

    public void Dispose() => _inner.Dispose();

    private void Shift(ReadOnlySpan<long> chunkIndex, Span<long> idx)
    {
        for (int i = 0; i < idx.Length; i++) idx[i] = chunkIndex[i] + _shift[i];
    }
}
