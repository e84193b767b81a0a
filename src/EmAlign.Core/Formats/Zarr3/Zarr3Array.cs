using System.Buffers;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr3;

/// <summary>
/// One Zarr v3 array folder as an <see cref="IChunkedArray"/>. Without sharding, each chunk is a file under its
/// chunk key. With sharding_indexed, the engine's chunks are the inner chunks: reads look them up in the shard's
/// index (cached, CRC32C-checked) and read only their bytes; writes collect the encoded inner chunks of a shard in
/// memory and write the shard file (chunks in C order, index at the end) once every inner chunk inside the array
/// has been written, or at <see cref="Flush"/>. Inner chunks that hold only the fill value are not stored.
/// </summary>
internal sealed class Zarr3Array : IChunkedArray
{
    private const int MaxCachedIndexes = 256;

    private readonly string _dir;
    private readonly ChunkLayout _layout;
    private readonly Zarr3CodecChain _chain;      // of stored chunks, or of inner chunks when sharded
    private readonly ShardingCodec? _sharding;
    private readonly int _maxStoredBytes;
    private readonly object _gate = new();
    private readonly Dictionary<long, PendingShard> _pending = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, ulong[]?> _indexes = new();
    private byte[]? _fillChunk;

    public Zarr3Array(string dir, Zarr3ArrayMetadata meta, IReadOnlyList<AxisRole> roles, bool writable)
    {
        _dir = dir;
        Path = System.IO.Path.Combine(dir, Zarr3Json.NodeFile);
        Metadata = meta;
        var outer = Zarr3CodecChain.Parse(meta.Codecs, meta.DataType, meta.ChunkShape, Path);
        _sharding = outer.Sharding;
        _chain = _sharding?.Inner ?? outer;
        var chunk = _sharding?.InnerShape ?? meta.ChunkShape;
        // A single-channel (c, ...) array, as WEBKNOSSOS writes every layer, is the plain volume it holds.
        _layout = new ChunkLayout(meta.Shape, chunk, roles, _chain.MemoryOrder, meta.DataType.Size(), Path, squeezeUnitChannel: true);
        _maxStoredBytes = (int)Math.Min(int.MaxValue - 64, 2L * _layout.ChunkBytes + (1 << 16));
        CanWrite = writable;
    }

    /// <summary>The array's zarr.json.</summary>
    public string Path { get; }

    public Zarr3ArrayMetadata Metadata { get; }

    public bool IsSharded => _sharding is not null;

    public DataType DataType => Metadata.DataType;
    public IReadOnlyList<long> Shape => _layout.Shape;
    public IReadOnlyList<int> ChunkShape => _layout.ChunkShape;
    public double FillValue => Metadata.FillValue;
    public bool CanWrite { get; }

    /// <summary>Stored axis roles, as <see cref="Zarr3Format"/> derived them from dimension_names.</summary>
    public static AxisRole[] RolesOf(Zarr3ArrayMetadata meta, string file)
    {
        if (meta.DimensionNames is not { } names || names.Any(n => n is null)) return AxisRoles.Default(meta.Shape.Length, file);
        var roles = names.Select(n => n!.Trim().ToLowerInvariant() switch { "x" => AxisRole.X, "y" => AxisRole.Y, "z" => AxisRole.Z, _ => AxisRole.Channel }).ToArray();
        AxisRoles.Validate(roles, file);
        return roles;
    }

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        Span<long> stored = stackalloc long[_layout.StoredRank];
        _layout.StoredChunkIndex(chunkIndex, stored);
        using var buffer = _layout.Decoding(destination);
        if (!(_sharding is null ? ReadPlain(stored, buffer.Stored) : ReadInner(stored, buffer.Stored))) return false;
        if (_chain.BigEndian) Endian.Swap(buffer.Stored, _layout.ElementSize);
        buffer.ToLogical();
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
    {
        if (!CanWrite) throw new InvalidOperationException($"'{Path}' is open read-only.");
        int bytes = _layout.ChunkBytes;
        if (data.Length != bytes) throw new ArgumentException($"A chunk of '{Path}' is {bytes} bytes; got {data.Length}.", nameof(data));
        Span<long> stored = stackalloc long[_layout.StoredRank];
        _layout.StoredChunkIndex(chunkIndex, stored);
        if (_sharding is not null && IsFill(data))
        {
            PutInner(stored, default, fill: true);
            return;
        }
        // Uncompressed chunks already in stored order go to disk as they are, without a copy.
        bool asIs = !_chain.Compresses && _layout.IsIdentity && !_chain.BigEndian;
        ReadOnlySpan<byte> payload = asIs ? data : Encode(data);
        if (_sharding is null) FileStore.WriteAtomic(System.IO.Path.Combine(_dir, Metadata.KeyEncoding.Key(stored)), payload);
        else PutInner(stored, payload, fill: false);
    }

    /// <summary>Writes every shard that still has chunks in memory (merged with what its file already holds).</summary>
    public void Flush()
    {
        List<(long, PendingShard)> open;
        lock (_gate) open = [.. _pending.Select(kv => (kv.Key, kv.Value))];
        foreach (var (key, shard) in open)
            lock (shard)
                if (!shard.Closed) Close(key, shard);
    }

    public void Dispose()
    {
        if (CanWrite) Flush();
    }

    private byte[] Encode(ReadOnlySpan<byte> data)
    {
        int bytes = _layout.ChunkBytes;
        if (_layout.IsIdentity && !_chain.BigEndian) return _chain.Encode(data);
        var scratch = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            var s = scratch.AsSpan(0, bytes);
            if (_layout.IsIdentity) data.CopyTo(s);
            else _layout.ToStored(data, s);
            if (_chain.BigEndian) Endian.Swap(s, _layout.ElementSize);
            return _chain.Encode(s);
        }
        finally { ArrayPool<byte>.Shared.Return(scratch); }
    }

    private bool IsFill(ReadOnlySpan<byte> data)
    {
        if (FillValue == 0 && !double.IsNaN(FillValue)) return !data.ContainsAnyExcept((byte)0);
        if (_fillChunk is null)
        {
            var f = new byte[_layout.ChunkBytes];
            VoxelFill.Fill(f, DataType, FillValue);
            _fillChunk = f;
        }
        return data.SequenceEqual(_fillChunk);
    }

    private bool ReadPlain(ReadOnlySpan<long> stored, Span<byte> target)
    {
        var file = System.IO.Path.Combine(_dir, Metadata.KeyEncoding.Key(stored));
        if (!_chain.Compresses) return FileStore.TryReadExact(file, target);
        if (!FileStore.TryReadAll(file, _maxStoredBytes, out var buffer, out int length)) return false;
        try { _chain.Decode(buffer.AsSpan(0, length), target, $"Chunk file '{file}'"); }
        finally { FileStore.Return(buffer); }
        return true;
    }

    // ---- sharding ----

    /// <summary>
    /// A shard being written: encoded inner chunks are appended to a temporary file beside the shard as they arrive
    /// (positional writes, in parallel; a chunk written twice leaves a gap), and the index is kept in memory until the
    /// shard is closed: old chunks that were not rewritten are copied in, the index written, the file renamed.
    /// </summary>
    private sealed class PendingShard(string file, int count, int expected, long start)
    {
        public readonly string File = file;
        public readonly string TempFile = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, $".{System.IO.Path.GetFileName(file)}.{Guid.NewGuid():N}.partial");
        public Microsoft.Win32.SafeHandles.SafeFileHandle? Handle;
        public readonly ulong[] Index = Enumerable.Repeat(ShardingCodec.Missing, 2 * count).ToArray();
        public readonly bool[] Written = new bool[count];
        public int WrittenCount;
        public readonly int Expected = expected;
        public long Next = start;
        public bool Closed;
        public long Reserved;

        // Reservations of all open shards together stay under this, so writing many shards at once (z slabs
        // across large sections) never holds more than this much disk beyond what the data needs.
        private const long ReservationBudget = 1L << 30;
        private static long s_reserved;

        /// <summary>Takes up to <paramref name="bytes"/> from the process-wide budget; returns what was granted (all or nothing).</summary>
        public long Reserve(long bytes)
        {
            if (Interlocked.Add(ref s_reserved, bytes) > ReservationBudget)
            {
                Interlocked.Add(ref s_reserved, -bytes);
                return 0;
            }
            return Reserved = bytes;
        }

        public void Release()
        {
            if (Reserved > 0) Interlocked.Add(ref s_reserved, -Reserved);
            Reserved = 0;
        }
    }

    private (long Key, int Slot, long[] Shard) Locate(ReadOnlySpan<long> stored)
    {
        var sh = _sharding!;
        var shard = new long[stored.Length];
        long key = 0;
        int slot = 0;
        for (int i = 0; i < stored.Length; i++)
        {
            int cps = sh.ChunksPerShard[i];
            shard[i] = stored[i] / cps;
            slot = slot * cps + (int)(stored[i] % cps);
            key = key * Math.Max(1, Geometry.Box3.CeilDiv(Metadata.Shape[i], Metadata.ChunkShape[i])) + shard[i];
        }
        return (key, slot, shard);
    }

    private string ShardFile(long[] shard) => System.IO.Path.Combine(_dir, Metadata.KeyEncoding.Key(shard));

    private bool ReadInner(ReadOnlySpan<long> stored, Span<byte> target)
    {
        var (key, slot, shard) = Locate(stored);
        PendingShard? pending;
        lock (_gate) _pending.TryGetValue(key, out pending);
        if (pending is not null)
        {
            lock (pending)
            {
                if (!pending.Closed && pending.Written[slot])
                {
                    ulong o = pending.Index[2 * slot], n = pending.Index[2 * slot + 1];
                    if (o == ShardingCodec.Missing) return false;
                    var enc = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, n));
                    try
                    {
                        FileStore.ReadAt(pending.Handle!, (long)o, enc.AsSpan(0, (int)n), pending.TempFile);
                        _chain.Decode(enc.AsSpan(0, (int)n), target, $"Inner chunk {slot} of shard '{pending.File}'");
                    }
                    finally { ArrayPool<byte>.Shared.Return(enc); }
                    return true;
                }
            }
        }
        var file = ShardFile(shard);
        using var handle = FileStore.TryOpenRead(file);
        if (handle is null) return false;
        var index = Index(key, file, handle);
        ulong off = index[2 * slot], len = index[2 * slot + 1];
        if (off == ShardingCodec.Missing && len == ShardingCodec.Missing) return false;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, len));
        try
        {
            FileStore.ReadAt(handle, (long)off, buffer.AsSpan(0, (int)len), file);
            _chain.Decode(buffer.AsSpan(0, (int)len), target, $"Inner chunk {slot} of shard '{file}'");
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        return true;
    }

    private ulong[] Index(long key, string file, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (_indexes.TryGetValue(key, out var cached) && cached is not null) return cached;
        var index = ReadIndex(file, handle);
        if (_indexes.Count >= MaxCachedIndexes) _indexes.Clear();
        _indexes[key] = index;
        return index;
    }

    private ulong[] ReadIndex(string file, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var sh = _sharding!;
        long length = RandomAccess.GetLength(handle);
        if (length < sh.IndexBytes)
            throw new CorruptDataException($"Shard '{file}' holds {length} bytes, less than its {sh.IndexBytes}-byte index; the file is truncated.", file);
        var raw = new byte[sh.IndexBytes];
        FileStore.ReadAt(handle, sh.IndexAtStart ? 0 : length - sh.IndexBytes, raw, file);
        return sh.ReadIndex(raw, length, file);
    }

    /// <summary>Appends an encoded inner chunk to its shard's temporary file (or records it as fill: not stored).</summary>
    private void PutInner(ReadOnlySpan<long> stored, ReadOnlySpan<byte> encoded, bool fill)
    {
        var (key, slot, shard) = Locate(stored);
        while (true)
        {
            PendingShard? p;
            lock (_gate)
            {
                if (!_pending.TryGetValue(key, out p))
                {
                    p = new PendingShard(ShardFile(shard), _sharding!.Count, InnerChunksInside(shard), _sharding.IndexAtStart ? _sharding.IndexBytes : 0);
                    _pending[key] = p;
                }
            }
            long offset;
            lock (p)
            {
                if (p.Closed) continue; // completed meanwhile: its file is written, start a new one over it
                if (!fill && p.Handle is null) p.Handle = OpenTemp(p.TempFile, p.Reserve(PreallocationHint(p)));
                offset = p.Next;
                p.Next += fill ? 0 : encoded.Length;
            }
            // The bytes go to their reserved place outside the lock, so chunks of one shard are written in parallel.
            if (!fill) RandomAccess.Write(p.Handle!, encoded, offset);
            lock (p)
            {
                if (!p.Written[slot]) { p.Written[slot] = true; p.WrittenCount++; }
                p.Index[2 * slot] = fill ? ShardingCodec.Missing : (ulong)offset;
                p.Index[2 * slot + 1] = fill ? ShardingCodec.Missing : (ulong)encoded.Length;
                if (p.WrittenCount == p.Expected) Close(key, p);
                return;
            }
        }
    }

    /// <summary>
    /// Bytes to reserve for a shard's temporary file: the inner chunks it expects at their unencoded size (an upper
    /// bound but for incompressible data under a compressor), and the index.
    /// </summary>
    private long PreallocationHint(PendingShard p) => (long)p.Expected * _layout.ChunkBytes + _sharding!.IndexBytes;

    /// <summary>
    /// Opens a shard's temporary file. Space is reserved up front (fallocate, size unchanged) because on ext4
    /// parallel positional writes into reserved blocks run about 3x faster than writes that extend the file;
    /// the unused reservation is released when the shard is closed. No space for it: opened without.
    /// </summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenTemp(string path, long preallocate = 0)
    {
        try { return Open(); }
        catch (IOException e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            return Open();
        }

        Microsoft.Win32.SafeHandles.SafeFileHandle Open()
        {
            if (preallocate > 0)
            {
                try { return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, preallocate); }
                catch (IOException e) when (e is not DirectoryNotFoundException and not FileNotFoundException)
                {
                    if (File.Exists(path)) File.Delete(path);
                }
            }
            return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        }
    }

    /// <summary>Number of inner chunks of <paramref name="shard"/> that overlap the array (the ones a full write covers).</summary>
    private int InnerChunksInside(long[] shard)
    {
        var sh = _sharding!;
        long n = 1;
        for (int i = 0; i < shard.Length; i++)
        {
            long start = shard[i] * Metadata.ChunkShape[i];
            long inside = Math.Clamp(Metadata.Shape[i] - start, 0, Metadata.ChunkShape[i]);
            n *= Geometry.Box3.CeilDiv(inside, sh.InnerShape[i]);
        }
        return (int)n;
    }

    /// <summary>Completes a pending shard (called under its lock): old chunks copied in, index written, file renamed; retires it.</summary>
    private void Close(long key, PendingShard p)
    {
        var sh = _sharding!;
        var index = p.Index;
        try
        {
            using (var old = p.WrittenCount < sh.Count ? FileStore.TryOpenRead(p.File) : null)
            {
                var oldIndex = old is null ? null : ReadIndex(p.File, old);
                for (int s = 0; s < sh.Count && oldIndex is not null; s++)
                {
                    if (p.Written[s] || (oldIndex[2 * s] == ShardingCodec.Missing && oldIndex[2 * s + 1] == ShardingCodec.Missing)) continue;
                    var data = new byte[oldIndex[2 * s + 1]];
                    FileStore.ReadAt(old!, (long)oldIndex[2 * s], data, p.File);
                    p.Handle ??= OpenTemp(p.TempFile);
                    RandomAccess.Write(p.Handle, data, p.Next);
                    index[2 * s] = (ulong)p.Next;
                    index[2 * s + 1] = (ulong)data.Length;
                    p.Next += data.Length;
                }
            }
            bool any = index.Where((_, i) => i % 2 == 0).Any(o => o != ShardingCodec.Missing);
            if (any)
            {
                var indexBytes = new byte[sh.IndexBytes];
                sh.WriteIndex(index, indexBytes);
                RandomAccess.Write(p.Handle!, indexBytes, sh.IndexAtStart ? 0 : p.Next);
                // Releases what was reserved beyond the data (the length is already right, the blocks are not).
                if (p.Reserved > 0) RandomAccess.SetLength(p.Handle!, sh.IndexAtStart ? p.Next : p.Next + sh.IndexBytes);
                p.Handle!.Dispose();
                File.Move(p.TempFile, p.File, overwrite: true);
                _indexes[key] = index;
            }
            else
            {
                // A shard of fill values only is not stored at all.
                p.Handle?.Dispose();
                if (p.Handle is not null) File.Delete(p.TempFile);
                if (File.Exists(p.File)) File.Delete(p.File);
                _indexes.TryRemove(key, out _);
            }
        }
        catch
        {
            p.Handle?.Dispose();
            File.Delete(p.TempFile);
            throw;
        }
        finally
        {
            p.Closed = true;
            p.Release();
            lock (_gate) _pending.Remove(key);
        }
    }
}
