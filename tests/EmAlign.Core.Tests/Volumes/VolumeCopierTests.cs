using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Tests.Volumes;

public sealed class VolumeCopierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emalign-copier-").FullName;

    public VolumeCopierTests() => FolderTestFormat.Register();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A two-level uint16 volume (mag 1 and 2-2-1) filled with position-dependent values.</summary>
    internal static EmVolume Source(long sx = 37, long sy = 29, long sz = 11, int channels = 0, double fill = 0)
    {
        long[] Shape(long x, long y, long z) => channels > 0 ? [channels, z, y, x] : [z, y, x];
        int[] chunks = channels > 0 ? [1, 4, 8, 8] : [4, 8, 8];
        var l0 = new MemoryChunkedArray(DataType.UInt16, Shape(sx, sy, sz), chunks, fill);
        var l1 = new MemoryChunkedArray(DataType.UInt16, Shape((sx + 1) / 2, (sy + 1) / 2, sz), chunks, fill);
        var v = new EmVolume("memory", "memory", "", [new VolumeLevel(Mag.One, l0), new VolumeLevel(new Mag(2, 2, 1), l1)],
            new VoxelSize(4, 4, 40), new ChunkCache(1 << 20), offset: (100, 200, 300));
        for (int level = 0; level < 2; level++)
        {
            var b = v.Levels[level].Bounds;
            var data = new ushort[b.VoxelCount * Math.Max(1, channels)];
            for (int i = 0; i < data.Length; i++) data[i] = (ushort)(i * 31 + level * 7 + 1);
            v.Write<ushort>(level, b, data);
        }
        return v;
    }

    private string Out(string name) => Path.Combine(_dir, name);

    private static EmVolume OpenOutput(string path) => VolumeFormats.Open(path);

    [Fact]
    public void CopiesTheWholeVolumeVoxelForVoxel()
    {
        using var src = Source();
        var progress = new List<ProgressInfo>();
        var result = VolumeCopier.Copy(src, Out("whole"), new CopyOptions { Format = FolderTestFormat.FormatName, ChunkShape = [3, 16, 8], MaxBlockBytes = 2048 },
            new SyncProgress(progress.Add));

        using var dst = OpenOutput(Out("whole"));
        Assert.Equal(new long[] { 11, 29, 37 }, dst.Levels[0].Array.Shape);
        Assert.Equal(new[] { 3, 16, 8 }, dst.Levels[0].Array.ChunkShape);
        Assert.Equal(src.Read<ushort>(0, src.Bounds), dst.Read<ushort>(0, dst.Bounds));
        Assert.Equal(src.VoxelSize, dst.VoxelSize);
        Assert.Equal(src.Offset, dst.Offset);

        Assert.Equal(Path.GetFullPath(Out("whole")), result.Path);
        Assert.Equal(FolderTestFormat.FormatName, result.Format);
        Assert.Equal(DataType.UInt16, result.DataType);
        Assert.Equal(src.Bounds, result.Box);
        Assert.Equal(37L * 29 * 11 * 2, result.Bytes);

        // Progress goes block by block from 0 to the total, which the small block budget makes more than one.
        Assert.True(progress.Count > 2);
        Assert.Equal(0, progress[0].Done);
        Assert.All(progress, p => Assert.Equal(progress[0].Total, p.Total));
        Assert.Equal(progress[0].Total, progress[^1].Done);
        Assert.Equal(Enumerable.Range(0, progress.Count).Select(i => (long)i), progress.Select(p => p.Done));
    }

    [Fact]
    public void CopiesARegionOfACoarserLevelWithScaledGeometry()
    {
        using var src = Source();
        var box = new Box3(5, 3, 2, 20, 13, 6); // mag-1 voxels
        var result = VolumeCopier.Copy(src, Out("region"), new CopyOptions { Format = FolderTestFormat.FormatName, Box = box, Level = 1 });

        var levelBox = box.ToMag(new Mag(2, 2, 1));
        using var dst = OpenOutput(Out("region"));
        Assert.Equal(new long[] { levelBox.SizeZ, levelBox.SizeY, levelBox.SizeX }, dst.Levels[0].Array.Shape);
        Assert.Equal(src.Read<ushort>(1, levelBox), dst.Read<ushort>(0, dst.Bounds));
        Assert.Equal(new VoxelSize(8, 8, 40), dst.VoxelSize);
        Assert.Equal((100 + levelBox.X * 2 * 4.0, 200 + levelBox.Y * 2 * 4.0, 300 + levelBox.Z * 40.0), dst.Offset);
        Assert.Equal(levelBox.FromMag(new Mag(2, 2, 1)), result.Box);
        Assert.True(result.Box.Contains(box));
    }

    [Fact]
    public void ChannelsStayTogetherAndThreeValueChunkShapesKeepAllChannels()
    {
        using var src = Source(13, 9, 5, channels: 2);
        VolumeCopier.Copy(src, Out("channels"), new CopyOptions { Format = FolderTestFormat.FormatName, ChunkShape = [2, 4, 4] });
        using var dst = OpenOutput(Out("channels"));
        Assert.Equal(new[] { 2, 2, 4, 4 }, dst.Levels[0].Array.ChunkShape);
        Assert.Equal(2, dst.Channels);
        Assert.Equal(src.Read<ushort>(0, src.Bounds), dst.Read<ushort>(0, dst.Bounds));
    }

    [Fact]
    public void AnExistingDestinationNeedsForceAndIsReplacedOnlyWhenComplete()
    {
        using var src = Source();
        var opts = new CopyOptions { Format = FolderTestFormat.FormatName, Box = new Box3(0, 0, 0, 8, 8, 4) };
        VolumeCopier.Copy(src, Out("dst"), opts);

        var ex = Assert.Throws<OutputExistsException>(() => VolumeCopier.Copy(src, Out("dst"), opts with { Box = null }));
        Assert.Contains(Out("dst"), ex.Message);
        using (var kept = OpenOutput(Out("dst"))) Assert.Equal(Box3.FromSize(8, 8, 4), kept.Bounds);

        VolumeCopier.Copy(src, Out("dst"), opts with { Box = null, Force = true });
        using var replaced = OpenOutput(Out("dst"));
        Assert.Equal(src.Bounds, replaced.Bounds);
        Assert.Equal(["dst"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailureLeavesNoOutputAndKeepsAForcedOldOne()
    {
        using var src = Source();
        var opts = new CopyOptions { Format = FolderTestFormat.FormatName, MaxBlockBytes = 1024 };
        VolumeCopier.Copy(src, Out("old"), opts with { Box = new Box3(0, 0, 0, 8, 8, 4) });

        // A damaged chunk deep inside the source: the copy has written several blocks by then.
        using var broken = new EmVolume("broken", "memory", "", [new VolumeLevel(Mag.One, new FailingArray(src.Levels[0].Array, failAtZChunk: 2))], src.VoxelSize);
        // EmVolume.Read reads chunks in parallel, so the damage may arrive wrapped in an AggregateException.
        AssertCorrupt(Record.Exception(() => VolumeCopier.Copy(broken, Out("new"), opts)));
        AssertCorrupt(Record.Exception(() => VolumeCopier.Copy(broken, Out("old"), opts with { Force = true })));

        Assert.Equal(["old"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
        using var old = OpenOutput(Out("old"));
        Assert.Equal(Box3.FromSize(8, 8, 4), old.Bounds);
    }

    [Fact]
    public void CancellationStopsBetweenBlocksAndCleansUp()
    {
        using var src = Source();
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var progress = new SyncProgress(p => { if (p.Done == 1) cts.Cancel(); reports++; });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            VolumeCopier.Copy(src, Out("cancelled"), new CopyOptions { Format = FolderTestFormat.FormatName, MaxBlockBytes = 1024 }, progress, cts.Token));
        Assert.Equal(2, reports);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void RefusesToOverwriteItsOwnSource()
    {
        using (var src = Source()) VolumeCopier.Copy(src, Out("a"), new CopyOptions { Format = FolderTestFormat.FormatName });
        using var a = OpenOutput(Out("a"));
        var ex = Assert.Throws<EmAlignException>(() => VolumeCopier.Copy(a, Out("a"), new CopyOptions { Format = FolderTestFormat.FormatName, Force = true }));
        Assert.Contains("overlaps the source", ex.Message);
        Assert.Throws<EmAlignException>(() => VolumeCopier.Copy(a, _dir, new CopyOptions { Format = FolderTestFormat.FormatName, Force = true }));
        Assert.True(File.Exists(Path.Combine(Out("a"), "volume.json")));
    }

    [Fact]
    public void ARegionBeyondACoarseLevelsEdgeIsRejected()
    {
        // Level 1 rounds its size down (5 -> 2 in x), as some pyramids do: mag-1 x 4..5 has no coarse voxel.
        using var v = new EmVolume("memory", "memory", "", [
            new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.UInt8, [1, 4, 5], [1, 4, 4])),
            new VolumeLevel(new Mag(2, 2, 1), new MemoryChunkedArray(DataType.UInt8, [1, 2, 2], [1, 2, 2]))], VoxelSize.Unknown);
        var ex = Assert.Throws<EmAlignException>(() => VolumeCopier.Copy(v, Out("edge"), new CopyOptions { Format = FolderTestFormat.FormatName, Level = 1, Box = new Box3(4, 0, 0, 1, 4, 1) }));
        Assert.Equal("box", ex.Target);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData(new[] { 0, 4, 4 })]
    [InlineData(new[] { 4, 4 })]
    [InlineData(new[] { 1, 4, 4, 4 })]
    public void RejectsInvalidChunkShapesNamingTheParameter(int[] chunks)
    {
        using var src = Source();
        var ex = Assert.Throws<EmAlignException>(() => VolumeCopier.Copy(src, Out("bad"), new CopyOptions { Format = FolderTestFormat.FormatName, ChunkShape = chunks }));
        Assert.Equal("chunks", ex.Target);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void RejectsBadLevelsBoxesAndFormatsBeforeWriting()
    {
        using var src = Source();
        Assert.Equal("level", Assert.Throws<EmAlignException>(() => VolumeCopier.Copy(src, Out("x"), new CopyOptions { Format = FolderTestFormat.FormatName, Level = 2 })).Target);
        Assert.Equal("box", Assert.Throws<EmAlignException>(() => VolumeCopier.Copy(src, Out("x"), new CopyOptions { Format = FolderTestFormat.FormatName, Box = new Box3(100, 0, 0, 5, 5, 5) })).Target);
        Assert.Equal("format", Assert.Throws<EmAlignException>(() => VolumeCopier.Copy(src, Out("x"), new CopyOptions { Format = "no-such-format" })).Target);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData(100, 70, 9, 16, 16, 4, 2, 1 << 20)]    // everything in one chunk layer fits: full slabs
    [InlineData(100, 70, 9, 16, 16, 4, 2, 16 * 16 * 4 * 2 * 10)] // 10 chunks: one row of 7 chunks per block
    [InlineData(100, 70, 9, 16, 16, 4, 2, 16 * 16 * 4 * 2 * 3)]  // 3 chunks: part of a row
    [InlineData(100, 70, 9, 16, 16, 4, 2, 10)]         // less than a chunk: one chunk per block
    public void BlocksTileTheRegionInWholeChunksWithinTheBudget(long sx, long sy, long sz, int cx, int cy, int cz, long bpv, long budget)
    {
        var blocks = VolumeCopier.PlanBlocks(sx, sy, sz, (cx, cy, cz), bpv, budget);
        var seen = new int[sz, sy, sx];
        foreach (var b in blocks)
        {
            Assert.True(b.X % cx == 0 && b.Y % cy == 0 && b.Z % cz == 0, $"{b} is not chunk aligned");
            Assert.True(b.EndX == sx || b.SizeX % cx == 0, $"{b} ends inside a chunk");
            Assert.True(b.EndY == sy || b.SizeY % cy == 0, $"{b} ends inside a chunk");
            Assert.True(b.SizeZ <= cz);
            long chunksInBlock = Box3.CeilDiv(b.SizeX, cx) * Box3.CeilDiv(b.SizeY, cy);
            Assert.True(chunksInBlock == 1 || chunksInBlock * cx * cy * cz * bpv <= budget, $"{b} exceeds the budget");
            for (long z = b.Z; z < b.EndZ; z++)
                for (long y = b.Y; y < b.EndY; y++)
                    for (long x = b.X; x < b.EndX; x++) seen[z, y, x]++;
        }
        Assert.All(seen.Cast<int>(), n => Assert.Equal(1, n));
        Assert.Equal(blocks.OrderBy(b => b.Z).ThenBy(b => b.Y).ThenBy(b => b.X), blocks);
    }

    private static void AssertCorrupt(Exception? ex) =>
        Assert.IsType<CorruptDataException>(ex is AggregateException a ? a.Flatten().InnerExceptions[0] : ex);

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    internal sealed class SyncProgress(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => report(value);
    }

    /// <summary>Delegates to an array but reports chunks at z-chunk index <paramref name="failAtZChunk"/> as corrupt.</summary>
    private sealed class FailingArray(IChunkedArray inner, long failAtZChunk) : IChunkedArray
    {
        public string Path => inner.Path;
        public DataType DataType => inner.DataType;
        public IReadOnlyList<long> Shape => inner.Shape;
        public IReadOnlyList<int> ChunkShape => inner.ChunkShape;
        public double FillValue => inner.FillValue;
        public bool CanWrite => false;

        public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination) =>
            chunkIndex[^3] == failAtZChunk ? throw new CorruptDataException("damaged chunk", Path) : inner.TryReadChunk(chunkIndex, destination);

        public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data) => throw new NotSupportedException();
        public void Flush() { }
        public void Dispose() { }
    }
}
