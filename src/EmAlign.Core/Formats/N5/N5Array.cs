using System.Buffers;
using System.Buffers.Binary;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Volumes;

namespace EmAlign.Formats.N5;

/// <summary>
/// One N5 dataset as an <see cref="IChunkedArray"/>. N5 lists axes fastest first, so the C-order (numpy) view
/// is the reversed dimension list over the same bytes. Each block file is a big-endian header (mode, rank,
/// block size as stored; edge blocks may be truncated) followed by the compressed big-endian elements.
/// Missing blocks, and the part of a truncated block outside it, read as 0 (N5 has no fill value).
/// </summary>
internal sealed class N5Array : IChunkedArray
{
    private readonly string _dir;
    private readonly ChunkLayout _layout;
    private readonly long[] _storedShape;   // C order
    private readonly int[] _storedChunks;   // C order
    private readonly IChunkCodec? _codec;
    private readonly ZlibCodec? _zlibAlternative; // N5 "gzip" blocks may be bare zlib streams
    private readonly GzipCodec? _gzipAlternative;
    private readonly int _maxStoredBytes;

    /// <summary>A dataset in <paramref name="dir"/> with N5's "dimensions" and "blockSize" (fastest axis first).</summary>
    public N5Array(string dir, long[] dimensions, int[] blockSize, DataType type, IChunkCodec? codec, IReadOnlyList<AxisRole>? roles, bool writable)
    {
        _dir = dir;
        Path = System.IO.Path.Combine(dir, N5Hierarchy.AttributesFile);
        DataType = type;
        _storedShape = [.. Enumerable.Reverse(dimensions)];
        _storedChunks = [.. Enumerable.Reverse(blockSize)];
        _layout = new ChunkLayout(_storedShape, _storedChunks, roles ?? AxisRoles.Default(_storedShape.Length, Path), false, type.Size(), Path);
        _codec = codec;
        _zlibAlternative = codec is GzipCodec g ? new ZlibCodec(g.Level) : null;
        _gzipAlternative = codec is ZlibCodec z ? new GzipCodec(z.Level) : null;
        _maxStoredBytes = (int)Math.Min(int.MaxValue - 64, 2L * _layout.ChunkBytes + (1 << 16));
        CanWrite = writable;
    }

    /// <summary>The dataset's attributes.json.</summary>
    public string Path { get; }

    public DataType DataType { get; }
    public IReadOnlyList<long> Shape => _layout.Shape;
    public IReadOnlyList<int> ChunkShape => _layout.ChunkShape;
    public double FillValue => 0;
    public bool CanWrite { get; }

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        Span<long> grid = stackalloc long[_layout.StoredRank];
        _layout.StoredChunkIndex(chunkIndex, grid);
        var file = BlockFile(grid);
        if (!FileStore.TryReadAll(file, _maxStoredBytes, out var stored, out int length)) return false;
        int bytes = _layout.ChunkBytes, es = _layout.ElementSize;
        destination = destination[..bytes];
        byte[]? permuted = _layout.IsIdentity ? null : ArrayPool<byte>.Shared.Rent(bytes);
        byte[]? partial = null;
        try
        {
            var full = permuted is null ? destination : permuted.AsSpan(0, bytes);
            var (dims, elements, headerBytes) = ParseHeader(file, stored.AsSpan(0, length));
            bool whole = dims.AsSpan().SequenceEqual(_storedChunks);
            int payloadBytes = checked(elements * es);
            var target = whole ? full : (partial = ArrayPool<byte>.Shared.Rent(payloadBytes)).AsSpan(0, payloadBytes);
            Decode(file, stored.AsSpan(headerBytes, length - headerBytes), target);
            Endian.Swap(target, es);
            if (!whole)
            {
                full.Clear();
                CopyBox(target, dims, full, _storedChunks, es);
            }
            if (permuted is not null) _layout.ToLogical(full, destination);
        }
        finally
        {
            FileStore.Return(stored);
            if (permuted is not null) ArrayPool<byte>.Shared.Return(permuted);
            if (partial is not null) ArrayPool<byte>.Shared.Return(partial);
        }
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
    {
        if (!CanWrite) throw new InvalidOperationException($"'{Path}' is open read-only.");
        int bytes = _layout.ChunkBytes, es = _layout.ElementSize, rank = _layout.StoredRank;
        if (data.Length != bytes) throw new ArgumentException($"A block of '{Path}' is {bytes} bytes; got {data.Length}.", nameof(data));
        Span<long> grid = stackalloc long[rank];
        _layout.StoredChunkIndex(chunkIndex, grid);

        // Edge blocks are truncated to the array, as the N5 reference writer does.
        var dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = (int)Math.Min(_storedChunks[i], _storedShape[i] - grid[i] * _storedChunks[i]);
            elements *= dims[i];
        }
        bool whole = dims.AsSpan().SequenceEqual(_storedChunks);
        int payloadBytes = (int)(elements * es);
        var header = new byte[4 + 4 * rank];
        BinaryPrimitives.WriteUInt16BigEndian(header, 0);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)rank);
        for (int i = 0; i < rank; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[rank - 1 - i]);

        byte[]? permuted = null, payload = null;
        try
        {
            ReadOnlySpan<byte> full = data;
            if (!_layout.IsIdentity)
            {
                permuted = ArrayPool<byte>.Shared.Rent(bytes);
                _layout.ToStored(data, permuted.AsSpan(0, bytes));
                full = permuted.AsSpan(0, bytes);
            }
            ReadOnlySpan<byte> body = full;
            if (!whole || es > 1)
            {
                payload = ArrayPool<byte>.Shared.Rent(payloadBytes);
                var p = payload.AsSpan(0, payloadBytes);
                if (whole) Endian.Swap(full, p, es);
                else
                {
                    CopyBox(full, _storedChunks, p, dims, es, extract: true);
                    Endian.Swap(p, es);
                }
                body = p;
            }
            var file = BlockFile(grid);
            if (_codec is null) FileStore.WriteAtomic(file, header, body);
            else FileStore.WriteAtomic(file, header, _codec.Encode(body, es));
        }
        finally
        {
            if (permuted is not null) ArrayPool<byte>.Shared.Return(permuted);
            if (payload is not null) ArrayPool<byte>.Shared.Return(payload);
        }
    }

    public void Flush() { }

    public void Dispose() { }

    /// <summary>Block file of a stored (C-order) grid position: N5 names it fastest axis first, "x/y/z".</summary>
    private string BlockFile(ReadOnlySpan<long> grid)
    {
        var sb = new System.Text.StringBuilder(_dir.Length + 8 * grid.Length);
        sb.Append(_dir);
        for (int i = grid.Length - 1; i >= 0; i--) sb.Append('/').Append(grid[i]);
        return sb.ToString();
    }

    /// <summary>Reads the block header: stored block dims (C order), element count and header length.</summary>
    private (int[] Dims, int Elements, int HeaderBytes) ParseHeader(string file, ReadOnlySpan<byte> block)
    {
        int rank = _layout.StoredRank;
        if (block.Length < 2) throw new CorruptDataException($"Block file '{file}' holds {block.Length} bytes; expected an N5 block header.", file);
        int mode = BinaryPrimitives.ReadUInt16BigEndian(block);
        if (mode == 2)
            throw new InvalidVolumeException($"Block file '{file}' is an N5 object block (mode 2); expected numeric blocks (mode 0).", file);
        if (mode > 2) throw new CorruptDataException($"Block file '{file}' has block mode {mode}; expected 0 (default) or 1 (varlength).", file);
        int headerBytes = 4 + 4 * rank + (mode == 1 ? 4 : 0);
        if (block.Length < headerBytes || BinaryPrimitives.ReadUInt16BigEndian(block[2..]) != rank)
            throw new CorruptDataException($"Block file '{file}' has a damaged header: expected {rank} dimensions in {headerBytes} bytes, found {block.Length} bytes.", file);
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(block[(4 + 4 * i)..]);
            int s = rank - 1 - i;
            if (d < 1 || d > _storedChunks[s])
                throw new CorruptDataException($"Block file '{file}' declares a block of [{string.Join(", ", ReadDims(block, rank))}] (x first); the dataset's blockSize is [{string.Join(", ", Enumerable.Reverse(_storedChunks))}].", file);
            dims[s] = (int)d;
            count *= d;
        }
        if (mode == 1)
        {
            // Varlength blocks carry an explicit count; numeric data is only readable when it matches the block.
            uint n = BinaryPrimitives.ReadUInt32BigEndian(block[(4 + 4 * rank)..]);
            if (n != count)
                throw new InvalidVolumeException($"Block file '{file}' is a varlength block of {n} elements for a [{string.Join(", ", ReadDims(block, rank))}] block; expected {count} numeric elements.", file);
        }
        return (dims, (int)count, headerBytes);
    }

    private static IEnumerable<uint> ReadDims(ReadOnlySpan<byte> block, int rank)
    {
        var r = new uint[rank];
        for (int i = 0; i < rank; i++) r[i] = BinaryPrimitives.ReadUInt32BigEndian(block[(4 + 4 * i)..]);
        return r;
    }

    private void Decode(string file, ReadOnlySpan<byte> payload, Span<byte> target)
    {
        if (_codec is null)
        {
            if (payload.Length != target.Length)
                throw new CorruptDataException($"Block file '{file}' holds {payload.Length} data bytes; expected {target.Length} for a raw block.", file);
            payload.CopyTo(target);
            return;
        }
        // Writers disagree on gzip vs zlib framing under "gzip"; the magic bytes tell.
        var codec = _codec;
        bool gzipMagic = payload.Length >= 2 && payload[0] == 0x1F && payload[1] == 0x8B;
        if (_zlibAlternative is not null && !gzipMagic) codec = _zlibAlternative;
        else if (_gzipAlternative is not null && gzipMagic) codec = _gzipAlternative;
        int n;
        try { n = codec.Decode(payload, target); }
        catch (CorruptDataException e)
        {
            throw new CorruptDataException($"Block file '{file}' is damaged: {e.Message}", file, e);
        }
        if (n != target.Length)
            throw new CorruptDataException($"Block file '{file}' decodes to {n} bytes; its header promises {target.Length}.", file);
    }

    /// <summary>
    /// Copies the box [0, box) between a C-order block of <paramref name="srcDims"/> and one of <paramref name="dstDims"/>:
    /// a truncated block into the corner of a full one, or (extract) the corner of a full block into a truncated one.
    /// </summary>
    private static void CopyBox(ReadOnlySpan<byte> src, int[] srcDims, Span<byte> dst, int[] dstDims, int es, bool extract = false)
    {
        var box = extract ? dstDims : srcDims;
        int rank = box.Length;
        Span<int> n = stackalloc int[4], ss = stackalloc int[4], ds = stackalloc int[4];
        int pad = 4 - rank;
        int sAcc = es, dAcc = es;
        for (int i = 3; i >= 0; i--)
        {
            int a = i - pad;
            n[i] = a < 0 ? 1 : box[a];
            ss[i] = sAcc; ds[i] = dAcc;
            if (a >= 0) { sAcc *= srcDims[a]; dAcc *= dstDims[a]; }
        }
        int row = n[3] * es;
        for (int i = 0; i < n[0]; i++)
            for (int j = 0; j < n[1]; j++)
                for (int k = 0; k < n[2]; k++)
                    src.Slice(i * ss[0] + j * ss[1] + k * ss[2], row).CopyTo(dst.Slice(i * ds[0] + j * ds[1] + k * ds[2], row));
    }
}
