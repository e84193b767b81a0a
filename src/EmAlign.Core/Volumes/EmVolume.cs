using System.Buffers;
using System.Runtime.InteropServices;
using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>
/// A lazy handle on a chunked volume: where it is stored, its element type, its resolution levels and
/// voxel size. It never holds voxels itself; blocks are read and written by box and level through a
/// bounded <see cref="ChunkCache"/>. Blocks in memory are (c,) z, y, x in C order, x fastest.
/// </summary>
public sealed class EmVolume : IDisposable
{
    private readonly VolumeLevel[] _levels;

    public EmVolume(string path, string format, string dataset, IReadOnlyList<VolumeLevel> levels, VoxelSize voxelSize,
        ChunkCache? cache = null, (double X, double Y, double Z)? offset = null)
    {
        if (levels.Count == 0) throw new ArgumentException("A volume needs at least one level.", nameof(levels));
        Path = path;
        Format = format;
        Dataset = dataset;
        _levels = [.. levels];
        VoxelSize = voxelSize;
        Cache = cache ?? new ChunkCache(ChunkCache.DefaultCapacityBytes);
        Offset = offset ?? (0, 0, 0);
    }

    /// <summary>The container or file the user named.</summary>
    public string Path { get; }

    /// <summary>Storage format: "zarr2", "zarr3", "n5", "tiff", "tiff-folder", "wkw".</summary>
    public string Format { get; }

    /// <summary>Dataset path inside the container ("" when the path is the dataset).</summary>
    public string Dataset { get; }

    public IReadOnlyList<VolumeLevel> Levels => _levels;

    /// <summary>Physical size of one mag-1 voxel, x, y, z.</summary>
    public VoxelSize VoxelSize { get; }

    /// <summary>World position of voxel (0,0,0), x, y, z in <see cref="VoxelSize"/>'s unit.</summary>
    public (double X, double Y, double Z) Offset { get; }

    public ChunkCache Cache { get; }

    public DataType DataType => _levels[0].Array.DataType;

    /// <summary>True when the stored arrays have a leading channel axis (c, z, y, x).</summary>
    public bool HasChannelAxis => _levels[0].Array.Shape.Count == 4;

    public int Channels => HasChannelAxis ? (int)_levels[0].Array.Shape[0] : 1;

    /// <summary>Extent in mag-1 voxels (level 0 size times its mag).</summary>
    public Box3 Bounds => _levels[0].Bounds.FromMag(_levels[0].Mag);

    /// <summary>Index of the level with this mag, or -1.</summary>
    public int FindLevel(Mag mag) => Array.FindIndex(_levels, l => l.Mag == mag);

    /// <summary>Bytes a block of <paramref name="box"/> occupies (all channels).</summary>
    public long BlockBytes(Box3 box) => box.VoxelCount * Channels * DataType.Size();

    /// <summary>
    /// Reads <paramref name="box"/> (in voxels of level <paramref name="level"/>) into <paramref name="destination"/>
    /// as (c,) z, y, x C-order native bytes. Voxels outside the stored array read as its fill value.
    /// </summary>
    public void Read(int level, Box3 box, Span<byte> destination)
    {
        var arr = Level(level).Array;
        long need = BlockBytes(box);
        if (destination.Length < need) throw new ArgumentException($"Destination holds {destination.Length} bytes; the box {box} needs {need}.", nameof(destination));
        destination = destination[..(int)need];
        var inside = box.Intersect(_levels[level].Bounds);
        if (inside.VoxelCount != box.VoxelCount) VoxelFill.Fill(destination, arr.DataType, arr.FillValue);
        if (inside.IsEmpty) return;
        unsafe
        {
            fixed (byte* p = destination)
            {
                var dst = (IntPtr)p;
                int chunkBytes = (int)ChunkBytes(arr);
                ForEachChunk(arr, inside, (chunk, lin, region) =>
                {
                    var block = new Span<byte>((void*)dst, (int)need);
                    if (MapsContiguously(arr, chunk, region, box))
                    {
                        // The chunk's bytes are one stretch of the block (e.g. a whole TIFF page): decode in place.
                        var target = block.Slice((int)((region.Z - box.Z) * box.SizeX * box.SizeY * arr.DataType.Size()), chunkBytes);
                        if (!arr.TryReadChunk(chunk, target)) VoxelFill.Fill(target, arr.DataType, arr.FillValue);
                        return;
                    }
                    // A chunk wholly inside the box is a bulk read: decode into a pooled buffer and leave the
                    // cache to chunks that are read piecewise (and so likely again).
                    if (region == ChunkBoxInArray(arr, chunk) && !Cache.TryGet(arr, lin, out _))
                    {
                        var buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
                        try
                        {
                            if (!arr.TryReadChunk(chunk, buffer.AsSpan(0, chunkBytes))) VoxelFill.Fill(buffer.AsSpan(0, chunkBytes), arr.DataType, arr.FillValue);
                            CopyRegion(arr, chunk, buffer, region, box, block, toChunk: false);
                        }
                        finally { ArrayPool<byte>.Shared.Return(buffer); }
                        return;
                    }
                    CopyRegion(arr, chunk, GetChunk(arr, chunk, lin), region, box, block, toChunk: false);
                });
            }
        }
    }

    /// <summary>Reads a block as a typed array; <typeparamref name="T"/> must match <see cref="DataType"/>.</summary>
    public T[] Read<T>(int level, Box3 box) where T : unmanaged
    {
        CheckType<T>();
        // Read writes every element (fill value outside the array), so zeroing first would be wasted work.
        var result = GC.AllocateUninitializedArray<T>(checked((int)(box.VoxelCount * Channels)));
        Read(level, box, MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>Reads a block converted to float32, whatever the stored type (channels outermost).</summary>
    public float[] ReadSingle(int level, Box3 box)
    {
        var result = new float[checked(box.VoxelCount * Channels)];
        if (DataType == DataType.Float32) { Read(level, box, MemoryMarshal.AsBytes(result.AsSpan())); return result; }
        int bytes = checked((int)BlockBytes(box));
        var raw = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            Read(level, box, raw.AsSpan(0, bytes));
            VoxelConvert.ToSingle(raw.AsSpan(0, bytes), DataType, result);
        }
        finally { ArrayPool<byte>.Shared.Return(raw); }
        return result;
    }

    /// <summary>
    /// Writes <paramref name="source"/> ((c,) z, y, x C-order native bytes of <paramref name="box"/> in level voxels).
    /// Chunks the box covers only partly are read, merged and rewritten; voxels outside the array are dropped.
    /// </summary>
    public void Write(int level, Box3 box, ReadOnlySpan<byte> source)
    {
        var arr = Level(level).Array;
        if (!arr.CanWrite) throw new InvalidOperationException($"'{arr.Path}' is open read-only.");
        long need = BlockBytes(box);
        if (source.Length != need) throw new ArgumentException($"Source holds {source.Length} bytes; the box {box} needs {need}.", nameof(source));
        var inside = box.Intersect(_levels[level].Bounds);
        if (inside.IsEmpty) return;
        var chunkBytes = ChunkBytes(arr);
        unsafe
        {
            fixed (byte* p = source)
            {
                var src = (IntPtr)p;
                ForEachChunk(arr, inside, (chunk, lin, region) =>
                {
                    var block = new Span<byte>((void*)src, (int)need);
                    if (region == ChunkBoxInArray(arr, chunk))
                    {
                        // Whole chunk: assemble it in a pooled buffer; nothing old is needed, so nothing is cached.
                        var buffer = ArrayPool<byte>.Shared.Rent((int)chunkBytes);
                        try
                        {
                            var data = buffer.AsSpan(0, (int)chunkBytes);
                            if (!FillsChunk(arr, region)) VoxelFill.Fill(data, arr.DataType, arr.FillValue);
                            CopyRegion(arr, chunk, buffer, region, box, block, toChunk: true);
                            arr.WriteChunk(chunk, data);
                        }
                        finally { ArrayPool<byte>.Shared.Return(buffer); }
                        Cache.Remove(arr, lin);
                        return;
                    }
                    byte[] merged = new byte[chunkBytes];
                    GetChunk(arr, chunk, lin).AsSpan().CopyTo(merged);
                    CopyRegion(arr, chunk, merged, region, box, block, toChunk: true);
                    arr.WriteChunk(chunk, merged);
                    Cache.Put(arr, lin, merged);
                });
            }
        }
    }

    public void Write<T>(int level, Box3 box, ReadOnlySpan<T> source) where T : unmanaged
    {
        CheckType<T>();
        Write(level, box, MemoryMarshal.AsBytes(source));
    }

    /// <summary>Completes pending writes on every level (TIFF directories, metadata).</summary>
    public void Flush()
    {
        foreach (var l in _levels) l.Array.Flush();
    }

    public void Dispose()
    {
        foreach (var l in _levels) { Cache.Evict(l.Array); l.Array.Dispose(); }
    }

    public override string ToString() => $"{Format} {Path}{(Dataset.Length > 0 ? "/" + Dataset : "")} {DataType.Name()} {Bounds.SizeX}x{Bounds.SizeY}x{Bounds.SizeZ}";

    private VolumeLevel Level(int level) =>
        (uint)level < (uint)_levels.Length ? _levels[level]
        : throw new ArgumentOutOfRangeException(nameof(level), level, $"'{Path}' has {_levels.Length} level(s): 0..{_levels.Length - 1}.");

    private void CheckType<T>() where T : unmanaged
    {
        var t = DataTypes.Of<T>();
        if (t != DataType) throw new InvalidOperationException($"'{Path}' holds {DataType.Name()} voxels, not {t.Name()}.");
    }

    private static long ChunkBytes(IChunkedArray arr)
    {
        long n = arr.DataType.Size();
        foreach (var c in arr.ChunkShape) n *= c;
        return n;
    }

    private byte[] GetChunk(IChunkedArray arr, long[] chunk, long lin)
    {
        if (Cache.TryGet(arr, lin, out var data)) return data;
        data = new byte[ChunkBytes(arr)];
        if (!arr.TryReadChunk(chunk, data)) VoxelFill.Fill(data, arr.DataType, arr.FillValue);
        Cache.Put(arr, lin, data);
        return data;
    }

    /// <summary>
    /// True when a chunk without channel axis lies whole inside the block and spans the block's full x and y extent,
    /// so its C-order bytes are exactly one contiguous stretch of the block.
    /// </summary>
    private static bool MapsContiguously(IChunkedArray arr, long[] chunk, Box3 region, Box3 block)
    {
        var cs = arr.ChunkShape;
        return arr.Shape.Count == 3 && region.SizeX == cs[2] && region.SizeY == cs[1] && region.SizeZ == cs[0]
            && region.X == block.X && region.SizeX == block.SizeX && region.Y == block.Y && region.SizeY == block.SizeY
            && region == ChunkBoxInArray(arr, chunk);
    }

    /// <summary>True when <paramref name="region"/> covers every voxel of its chunk (no part of the chunk lies beyond the array edge).</summary>
    private static bool FillsChunk(IChunkedArray arr, Box3 region)
    {
        int r = arr.Shape.Count;
        var cs = arr.ChunkShape;
        bool channelsFull = r == 3 || arr.Shape[0] % cs[0] == 0;
        return channelsFull && region.SizeX == cs[r - 1] && region.SizeY == cs[r - 2] && region.SizeZ == cs[r - 3];
    }

    /// <summary>The part of a chunk (z, y, x grid indices last) that lies inside the array, in level voxels.</summary>
    private static Box3 ChunkBoxInArray(IChunkedArray arr, long[] chunk)
    {
        int r = arr.Shape.Count;
        var cs = arr.ChunkShape;
        var b = new Box3(chunk[r - 1] * cs[r - 1], chunk[r - 2] * cs[r - 2], chunk[r - 3] * cs[r - 3], cs[r - 1], cs[r - 2], cs[r - 3]);
        return b.Intersect(Box3.FromSize(arr.Shape[r - 1], arr.Shape[r - 2], arr.Shape[r - 3]));
    }

    /// <summary>Calls <paramref name="body"/> for every chunk (all channel chunks too) meeting <paramref name="inside"/>, in parallel.</summary>
    private static void ForEachChunk(IChunkedArray arr, Box3 inside, Action<long[], long, Box3> body)
    {
        int r = arr.Shape.Count;
        var cs = arr.ChunkShape;
        long gx = Box3.CeilDiv(arr.Shape[r - 1], cs[r - 1]), gy = Box3.CeilDiv(arr.Shape[r - 2], cs[r - 2]), gz = Box3.CeilDiv(arr.Shape[r - 3], cs[r - 3]);
        long gc = r == 4 ? Box3.CeilDiv(arr.Shape[0], cs[0]) : 1;
        long x0 = inside.X / cs[r - 1], x1 = (inside.EndX - 1) / cs[r - 1];
        long y0 = inside.Y / cs[r - 2], y1 = (inside.EndY - 1) / cs[r - 2];
        long z0 = inside.Z / cs[r - 3], z1 = (inside.EndZ - 1) / cs[r - 3];
        var jobs = new List<(long[] Chunk, long Lin, Box3 Region)>();
        for (long c = 0; c < gc; c++)
            for (long z = z0; z <= z1; z++)
                for (long y = y0; y <= y1; y++)
                    for (long x = x0; x <= x1; x++)
                    {
                        long[] idx = r == 4 ? [c, z, y, x] : [z, y, x];
                        long lin = ((c * gz + z) * gy + y) * gx + x;
                        var region = ChunkBoxInArray(arr, idx).Intersect(inside);
                        jobs.Add((idx, lin, region));
                    }
        if (jobs.Count == 1) { body(jobs[0].Chunk, jobs[0].Lin, jobs[0].Region); return; }
        try
        {
            Parallel.ForEach(jobs, j => body(j.Chunk, j.Lin, j.Region));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Callers expect the chunk's own error (naming its file), not the parallel loop's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    /// <summary>Copies <paramref name="region"/> between decoded chunk <paramref name="chunk"/> and a block buffer of <paramref name="block"/>, row by row.</summary>
    private static void CopyRegion(IChunkedArray arr, long[] chunk, byte[] chunkData, Box3 region, Box3 block, Span<byte> blockData, bool toChunk)
    {
        int r = arr.Shape.Count;
        int es = arr.DataType.Size();
        var cs = arr.ChunkShape;
        int cx = cs[r - 1], cy = cs[r - 2], cz = cs[r - 3];
        long ox = chunk[r - 1] * cx, oy = chunk[r - 2] * cy, oz = chunk[r - 3] * cz;
        // With a channel axis, this chunk holds channels [c0, c0 + cc) of the block.
        long c0 = r == 4 ? chunk[0] * cs[0] : 0;
        long c1 = r == 4 ? Math.Min(c0 + cs[0], arr.Shape[0]) : 1;
        int rowBytes = (int)region.SizeX * es;
        long chunkRow = (long)cx * es, blockRow = block.SizeX * es;
        unsafe
        {
            fixed (byte* chunkBase = chunkData)
            fixed (byte* blockBase = blockData)
            {
                for (long c = c0; c < c1; c++)
                    for (long z = region.Z; z < region.EndZ; z++)
                    {
                        // Pointer walk down the rows: the per-row index arithmetic and slicing dominated bulk copies.
                        byte* cRow = chunkBase + ((((c - c0) * cz + (z - oz)) * cy + (region.Y - oy)) * cx + (region.X - ox)) * es;
                        byte* bRow = blockBase + (((c * block.SizeZ + (z - block.Z)) * block.SizeY + (region.Y - block.Y)) * block.SizeX + (region.X - block.X)) * es;
                        for (long y = 0; y < region.SizeY; y++, cRow += chunkRow, bRow += blockRow)
                        {
                            if (toChunk) Buffer.MemoryCopy(bRow, cRow, rowBytes, rowBytes);
                            else Buffer.MemoryCopy(cRow, bRow, rowBytes, rowBytes);
                        }
                    }
            }
        }
    }
}
