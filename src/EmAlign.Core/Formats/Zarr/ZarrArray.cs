using System.Buffers;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr;

/// <summary>
/// One Zarr v2 array folder as an <see cref="IChunkedArray"/>: chunk files named by grid position joined with
/// the dimension separator, each the full chunk shape (edge chunks included), elements in the array's order
/// and byte order, compressed by its compressor. Missing chunk files read as the fill value.
/// </summary>
internal sealed class ZarrArray : IChunkedArray
{
    private readonly string _dir;
    private readonly ChunkLayout _layout;
    private readonly IChunkCodec? _codec;
    private readonly bool _bigEndian;
    private readonly char _separator;
    private readonly int _maxStoredBytes;

    public ZarrArray(string dir, ZarrArrayMetadata meta, IReadOnlyList<AxisRole> roles, bool writable)
    {
        _dir = dir;
        Path = System.IO.Path.Combine(dir, ".zarray");
        Metadata = meta;
        _layout = new ChunkLayout(meta.Shape, meta.Chunks, roles, meta.FortranOrder, meta.DataType.Size(), Path);
        _codec = Numcodecs.FromJson(meta.Compressor, Path);
        _bigEndian = meta.BigEndian;
        _separator = meta.Separator;
        // Compressed chunks of incompressible data grow a little; anything far beyond is not a chunk of this array.
        _maxStoredBytes = (int)Math.Min(int.MaxValue - 64, 2L * _layout.ChunkBytes + (1 << 16));
        CanWrite = writable;
    }

    /// <summary>The array's .zarray file.</summary>
    public string Path { get; }

    public ZarrArrayMetadata Metadata { get; }

    public DataType DataType => Metadata.DataType;
    public IReadOnlyList<long> Shape => _layout.Shape;
    public IReadOnlyList<int> ChunkShape => _layout.ChunkShape;
    public double FillValue => Metadata.FillValue;
    public bool CanWrite { get; }

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        var file = ChunkFile(chunkIndex);
        destination = destination[.._layout.ChunkBytes];
        using (var buffer = _layout.Decoding(destination))
        {
            if (_codec is null)
            {
                // Uncompressed: the file goes straight into place, no intermediate copy.
                if (!FileStore.TryReadExact(file, buffer.Stored)) return false;
            }
            else
            {
                if (!FileStore.TryReadAll(file, _maxStoredBytes, out var stored, out int length)) return false;
                try { Decode(file, stored.AsSpan(0, length), buffer.Stored); }
                finally { FileStore.Return(stored); }
            }
            buffer.ToLogical();
        }
        if (_bigEndian) Endian.Swap(destination, _layout.ElementSize);
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
    {
        if (!CanWrite) throw new InvalidOperationException($"'{Path}' is open read-only.");
        int bytes = _layout.ChunkBytes;
        if (data.Length != bytes) throw new ArgumentException($"A chunk of '{Path}' is {bytes} bytes; got {data.Length}.", nameof(data));
        var file = ChunkFile(chunkIndex);
        byte[]? scratch = null;
        try
        {
            var stored = data;
            if (!_layout.IsIdentity || _bigEndian)
            {
                scratch = ArrayPool<byte>.Shared.Rent(bytes);
                var s = scratch.AsSpan(0, bytes);
                if (_layout.IsIdentity) Endian.Swap(data, s, _layout.ElementSize);
                else
                {
                    _layout.ToStored(data, s);
                    if (_bigEndian) Endian.Swap(s, _layout.ElementSize);
                }
                stored = s;
            }
            if (_codec is null) FileStore.WriteAtomic(file, stored);
            else FileStore.WriteAtomic(file, _codec.Encode(stored, _layout.ElementSize));
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public void Flush() { }

    public void Dispose() { }

    /// <summary>The file holding logical chunk <paramref name="chunkIndex"/>.</summary>
    private string ChunkFile(ReadOnlySpan<long> chunkIndex)
    {
        Span<long> stored = stackalloc long[_layout.StoredRank];
        _layout.StoredChunkIndex(chunkIndex, stored);
        var sb = new System.Text.StringBuilder(_dir.Length + 8 * stored.Length);
        sb.Append(_dir).Append('/');
        for (int i = 0; i < stored.Length; i++)
        {
            if (i > 0) sb.Append(_separator);
            sb.Append(stored[i]);
        }
        return sb.ToString();
    }

    private void Decode(string file, ReadOnlySpan<byte> stored, Span<byte> target)
    {
        int n;
        try { n = _codec!.Decode(stored, target); }
        catch (CorruptDataException e)
        {
            throw new CorruptDataException($"Chunk file '{file}' is damaged: {e.Message}", file, e);
        }
        if (n != target.Length)
            throw new CorruptDataException(
                $"Chunk file '{file}' decodes to {n} bytes; expected {target.Length} (chunks [{string.Join(", ", Metadata.Chunks)}] of {DataType.Name()}).", file);
    }
}
