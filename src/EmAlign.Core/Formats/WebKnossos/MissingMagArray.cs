using EmAlign.Diagnostics;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>
/// A mag that datasource-properties.json lists but whose folder is absent (datasets copied in part, or test data
/// with header-only mags): it keeps its place among the levels, sized from the bounding box, and every access fails
/// with an error naming the missing folder, so nothing ever reads it as empty data.
/// </summary>
internal sealed class MissingMagArray(string folder, string message, DataType type, long[] shape) : IChunkedArray
{
    /// <summary>The folder that should hold the mag.</summary>
    public string Path { get; } = folder;

    public DataType DataType { get; } = type;
    public IReadOnlyList<long> Shape { get; } = shape;
    public IReadOnlyList<int> ChunkShape { get; } = [.. shape.Select((s, i) => shape.Length == 4 && i == 0 ? (int)s : 32)];
    public double FillValue => 0;
    public bool CanWrite => false;

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination) => throw new InvalidVolumeException(message, Path);

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data) => throw new InvalidVolumeException(message, Path);

    public void Flush() { }

    public void Dispose() { }
}
