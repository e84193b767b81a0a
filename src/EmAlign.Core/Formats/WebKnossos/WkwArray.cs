using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Volumes;
using Microsoft.Win32.SafeHandles;

namespace EmAlign.Formats.WebKnossos;

/// <summary>
/// A WKW mag folder (header.wkw plus z&lt;k&gt;/y&lt;j&gt;/x&lt;i&gt;.wkw files) as an <see cref="IChunkedArray"/> whose chunks are
/// WKW blocks. Blocks sit in Morton order inside a file, voxels x-fastest with channels interleaved. Raw files are
/// updated in place (created full-length); LZ4 files are rewritten whole: their blocks collect in memory until every
/// block of the file inside the array is written, or until <see cref="Flush"/>. Missing files read as zeros.
/// </summary>
internal sealed class WkwArray : IChunkedArray
{
    public const string HeaderFile = "header.wkw";
    private const int MaxCachedFiles = 256;

    private readonly string _dir;
    private readonly ChunkLayout _layout;
    private readonly ConcurrentDictionary<string, FileIndex> _files = new();
    private readonly ConcurrentDictionary<string, object> _fileLocks = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, PendingFile> _pending = [];
    private byte[]? _zeroBlock;

    private sealed record FileIndex(WkwHeader Header, ulong[]? Jump, long Length);

    /// <param name="dir">The mag folder.</param>
    /// <param name="header">The folder's header.wkw.</param>
    /// <param name="sizeZyx">Array extent in voxels (z, y, x): WKW files do not record it.</param>
    public WkwArray(string dir, WkwHeader header, long[] sizeZyx, bool writable)
    {
        _dir = dir;
        Path = System.IO.Path.Combine(dir, HeaderFile);
        Header = header;
        int b = header.BlockSide, c = header.Channels;
        _layout = c > 1
            ? new ChunkLayout([sizeZyx[0], sizeZyx[1], sizeZyx[2], c], [b, b, b, c], [AxisRole.Z, AxisRole.Y, AxisRole.X, AxisRole.Channel], false, header.VoxelType.Size(), Path)
            : new ChunkLayout(sizeZyx, [b, b, b], [AxisRole.Z, AxisRole.Y, AxisRole.X], false, header.VoxelType.Size(), Path);
        CanWrite = writable;
    }

    /// <summary>The folder's header.wkw.</summary>
    public string Path { get; }

    public WkwHeader Header { get; }

    public DataType DataType => Header.VoxelType;
    public IReadOnlyList<long> Shape => _layout.Shape;
    public IReadOnlyList<int> ChunkShape => _layout.ChunkShape;
    public double FillValue => 0;
    public bool CanWrite { get; }

    /// <summary>Reads <paramref name="dir"/>/header.wkw; null when it does not exist.</summary>
    public static WkwHeader? ReadHeader(string dir)
    {
        var file = System.IO.Path.Combine(dir, HeaderFile);
        if (!File.Exists(file)) return null;
        var b = File.ReadAllBytes(file);
        return WkwHeader.Parse(b, file);
    }

    /// <summary>Writes header.wkw for a new mag folder (data offset 0, as the reference writes it).</summary>
    public static void WriteHeader(string dir, WkwHeader header)
    {
        var b = new byte[WkwHeader.Size];
        (header with { DataOffset = 0 }).Write(b);
        FileStore.WriteAtomic(System.IO.Path.Combine(dir, HeaderFile), b);
    }

    /// <summary>The extent (z, y, x) covered by the data files present: whole files from the origin.</summary>
    public static long[] ExtentOfFiles(string dir, WkwHeader header)
    {
        long mx = 0, my = 0, mz = 0;
        foreach (var zd in Directory.EnumerateDirectories(dir, "z*"))
            if (Index(zd, 'z') is { } z)
                foreach (var yd in Directory.EnumerateDirectories(zd, "y*"))
                    if (Index(yd, 'y') is { } y)
                        foreach (var xf in Directory.EnumerateFiles(yd, "x*.wkw"))
                            if (Index(System.IO.Path.ChangeExtension(xf, null), 'x') is { } x)
                            {
                                mx = Math.Max(mx, x + 1); my = Math.Max(my, y + 1); mz = Math.Max(mz, z + 1);
                            }
        return [mz * header.FileSide, my * header.FileSide, mx * header.FileSide];

        static long? Index(string path, char prefix)
        {
            var name = System.IO.Path.GetFileName(path);
            return name.Length > 1 && name[0] == prefix && long.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
    }

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        var (file, block, key) = Locate(chunkIndex);
        using var buffer = _layout.Decoding(destination);
        if (!ReadBlock(file, key, block, buffer.Stored)) return false;
        buffer.ToLogical();
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
    {
        if (!CanWrite) throw new InvalidOperationException($"'{Path}' is open read-only.");
        int bytes = Header.BlockBytes;
        if (data.Length != bytes) throw new ArgumentException($"A block of '{Path}' is {bytes} bytes; got {data.Length}.", nameof(data));
        var (file, block, key) = Locate(chunkIndex);
        byte[]? scratch = null;
        try
        {
            var stored = data;
            if (!_layout.IsIdentity)
            {
                scratch = ArrayPool<byte>.Shared.Rent(bytes);
                _layout.ToStored(data, scratch.AsSpan(0, bytes));
                stored = scratch.AsSpan(0, bytes);
            }
            if (Header.Compressed) PutCompressed(file, key, block, Encode(stored));
            else WriteRaw(file, block, stored);
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public void Flush()
    {
        List<(string, PendingFile)> open;
        lock (_gate) open = [.. _pending.Select(kv => (kv.Key, kv.Value))];
        foreach (var (file, p) in open)
            lock (p)
                if (!p.Closed) Close(file, p);
    }

    public void Dispose()
    {
        if (CanWrite) Flush();
    }

    /// <summary>The data file of a logical block, the block's Morton index in it, and the file's grid position.</summary>
    private (string File, int Block, (long X, long Y, long Z) FileGrid) Locate(ReadOnlySpan<long> chunkIndex)
    {
        int r = chunkIndex.Length;
        long bx = chunkIndex[r - 1], by = chunkIndex[r - 2], bz = chunkIndex[r - 3];
        int fl = Header.FileLog2, mask = Header.FileBlocks - 1;
        long fx = bx >> fl, fy = by >> fl, fz = bz >> fl;
        var file = string.Create(CultureInfo.InvariantCulture, $"{_dir}/z{fz}/y{fy}/x{fx}.wkw");
        return (file, (int)WkwHeader.Morton((int)(bx & mask), (int)(by & mask), (int)(bz & mask)), (fx, fy, fz));
    }

    private bool ReadBlock(string file, (long X, long Y, long Z) grid, int block, Span<byte> target)
    {
        PendingFile? pending;
        lock (_gate) _pending.TryGetValue(file, out pending);
        if (pending is not null)
            lock (pending)
                if (!pending.Closed && pending.Offset[block] >= 0)
                {
                    var enc = new byte[pending.Length[block]];
                    FileStore.ReadAt(pending.Spill!, pending.Offset[block], enc, pending.SpillFile);
                    DecodeBlock(enc, target, file, block);
                    return true;
                }
        using var handle = FileStore.TryOpenRead(file);
        if (handle is null) return false;
        var index = Index(file, handle);
        var (offset, length) = BlockRange(index, block, file);
        if (!Header.Compressed)
        {
            FileStore.ReadAt(handle, offset, target, file);
            return true;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            FileStore.ReadAt(handle, offset, buffer.AsSpan(0, length), file);
            DecodeBlock(buffer.AsSpan(0, length), target, file, block);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        return true;
    }

    private void DecodeBlock(ReadOnlySpan<byte> encoded, Span<byte> target, string file, int block)
    {
        int n;
        try { n = Lz4Block.Decode(encoded, target); }
        catch (CorruptDataException e) { throw new CorruptDataException($"WKW file '{file}': block {block} is damaged: {e.Message}", file, e); }
        if (n != target.Length)
            throw new CorruptDataException($"WKW file '{file}': block {block} decodes to {n} bytes; expected {target.Length}.", file);
    }

    private FileIndex Index(string file, SafeFileHandle handle)
    {
        if (_files.TryGetValue(file, out var cached)) return cached;
        long length = RandomAccess.GetLength(handle);
        var head = new byte[WkwHeader.Size];
        FileStore.ReadAt(handle, 0, head, file);
        var h = WkwHeader.Parse(head, file);
        if (h.BlockLog2 != Header.BlockLog2 || h.FileLog2 != Header.FileLog2 || h.VoxelType != Header.VoxelType || h.VoxelBytes != Header.VoxelBytes || h.Compressed != Header.Compressed)
            throw new InvalidVolumeException(
                $"WKW file '{file}' ({h.BlockSide}-voxel blocks, {h.FileBlocks} per side, {h.BlockType}, {h.VoxelBytes} x {h.VoxelType.Name()}) disagrees with '{Path}' ({Header.BlockSide}, {Header.FileBlocks}, {Header.BlockType}, {Header.VoxelBytes} x {Header.VoxelType.Name()}).", file);
        ulong[]? jump = null;
        if (h.Compressed)
        {
            var raw = new byte[8 * h.BlockCount];
            FileStore.ReadAt(handle, WkwHeader.Size, raw, file);
            jump = new ulong[h.BlockCount];
            for (int i = 0; i < jump.Length; i++) jump[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(8 * i));
        }
        var index = new FileIndex(h, jump, length);
        if (_files.Count >= MaxCachedFiles) _files.Clear();
        _files[file] = index;
        return index;
    }

    private (long Offset, int Length) BlockRange(FileIndex index, int block, string file)
    {
        var h = index.Header;
        if (index.Jump is null)
        {
            long off = (long)h.DataOffset + (long)block * h.BlockBytes;
            if (off + h.BlockBytes > index.Length)
                throw new CorruptDataException($"WKW file '{file}' holds {index.Length} bytes; block {block} ends at byte {off + h.BlockBytes} (the file is truncated).", file);
            return (off, h.BlockBytes);
        }
        ulong start = block == 0 ? h.DataOffset : index.Jump[block - 1], end = index.Jump[block];
        if (start < h.DataOffset || end < start || end > (ulong)index.Length || end - start > int.MaxValue)
            throw new CorruptDataException(
                $"WKW file '{file}' holds {index.Length} bytes; its jump table puts block {block} at [{start}, {end}) (the file is truncated or damaged).", file);
        return ((long)start, (int)(end - start));
    }

    private byte[] Encode(ReadOnlySpan<byte> block)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Lz4Block.MaxEncodedLength(block.Length));
        try
        {
            int n = Header.BlockType == WkwBlockType.Lz4HC ? Lz4Block.EncodeHC(block, buffer) : Lz4Block.Encode(block, buffer);
            return buffer.AsSpan(0, n).ToArray();
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private void WriteRaw(string file, int block, ReadOnlySpan<byte> data)
    {
        var h = Header with { DataOffset = WkwHeader.Size };
        lock (_fileLocks.GetOrAdd(file, _ => new object()))
        {
            if (!File.Exists(file))
            {
                // Raw files are full length from the start (unwritten blocks read as zeros); written whole, then renamed.
                var head = new byte[WkwHeader.Size];
                h.Write(head);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
                var temp = $"{file}.{Guid.NewGuid():N}.partial";
                using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    fs.Write(head);
                    fs.SetLength(WkwHeader.Size + (long)h.BlockCount * h.BlockBytes);
                }
                File.Move(temp, file);
                _files.TryRemove(file, out _);
            }
        }
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var index = Index(file, handle);
        var (offset, _) = BlockRange(index, block, file);
        RandomAccess.Write(handle, data, offset);
    }

    // ---- compressed files: written whole ----

    /// <summary>
    /// A compressed file being written: its encoded blocks are appended to a spill file beside it as they arrive (so
    /// memory holds no more than one block per writer), and laid out in Morton order when the file is closed.
    /// </summary>
    private sealed class PendingFile(string file, int count, int expected)
    {
        public readonly string SpillFile = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, $".{System.IO.Path.GetFileName(file)}.{Guid.NewGuid():N}.blocks");
        public SafeFileHandle? Spill;
        public readonly long[] Offset = Enumerable.Repeat(-1L, count).ToArray();
        public readonly int[] Length = new int[count];
        public long Next;
        public int WrittenCount;
        public readonly int Expected = expected;
        public bool Closed;
    }

    private void PutCompressed(string file, (long X, long Y, long Z) grid, int block, byte[] encoded)
    {
        while (true)
        {
            PendingFile? p;
            lock (_gate)
            {
                if (!_pending.TryGetValue(file, out p))
                    _pending[file] = p = new PendingFile(file, Header.BlockCount, BlocksInside(grid));
            }
            long at;
            lock (p)
            {
                if (p.Closed) continue;
                p.Spill ??= OpenSpill(p.SpillFile);
                at = p.Next;
                p.Next += encoded.Length;
            }
            RandomAccess.Write(p.Spill, encoded, at);
            lock (p)
            {
                if (p.Offset[block] < 0) p.WrittenCount++;
                p.Offset[block] = at;
                p.Length[block] = encoded.Length;
                if (p.WrittenCount == p.Expected) Close(file, p);
                return;
            }
        }
    }

    private static SafeFileHandle OpenSpill(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
    }

    /// <summary>Blocks of the file at <paramref name="grid"/> that overlap the array: a full write covers exactly these.</summary>
    private int BlocksInside((long X, long Y, long Z) grid)
    {
        long side = Header.FileSide;
        long In(long g, long size) => Geometry.Box3.CeilDiv(Math.Clamp(size - g * side, 0, side), Header.BlockSide);
        return (int)(In(grid.X, Shape[^1]) * In(grid.Y, Shape[^2]) * In(grid.Z, Shape[^3]));
    }

    /// <summary>
    /// Writes a compressed file (under its lock) into a temporary sibling, block by block in Morton order (new blocks
    /// from the spill file, untouched ones from the old file, zero blocks where neither has one), then the header and
    /// jump table at its start, and renames it into place.
    /// </summary>
    private void Close(string file, PendingFile p)
    {
        int n = Header.BlockCount;
        var h = Header with { DataOffset = (ulong)(WkwHeader.Size + 8 * n) };
        var head = new byte[WkwHeader.Size + 8 * n];
        h.Write(head);
        var temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, $".{System.IO.Path.GetFileName(file)}.{Guid.NewGuid():N}.partial");
        try
        {
            using (var output = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write))
            using (var old = p.WrittenCount < n ? FileStore.TryOpenRead(file) : null)
            {
                var oldIndex = old is null ? null : Index(file, old);
                long end = (long)h.DataOffset;
                var buffer = new byte[Lz4Block.MaxEncodedLength(Header.BlockBytes)];
                for (int b = 0; b < n; b++)
                {
                    ReadOnlySpan<byte> data;
                    if (p.Offset[b] >= 0)
                    {
                        FileStore.ReadAt(p.Spill!, p.Offset[b], buffer.AsSpan(0, p.Length[b]), p.SpillFile);
                        data = buffer.AsSpan(0, p.Length[b]);
                    }
                    else if (oldIndex is not null)
                    {
                        var (off, len) = BlockRange(oldIndex, b, file);
                        if (len > buffer.Length) buffer = new byte[len];
                        FileStore.ReadAt(old!, off, buffer.AsSpan(0, len), file);
                        data = buffer.AsSpan(0, len);
                    }
                    else data = _zeroBlock ??= Encode(new byte[Header.BlockBytes]);
                    RandomAccess.Write(output, data, end);
                    end += data.Length;
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(WkwHeader.Size + 8 * b), (ulong)end);
                }
                RandomAccess.Write(output, head, 0);
            }
            File.Move(temp, file, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        finally
        {
            p.Spill?.Dispose();
            p.Closed = true;
            _files.TryRemove(file, out _);
            lock (_gate) _pending.Remove(file);
        }
    }
}
