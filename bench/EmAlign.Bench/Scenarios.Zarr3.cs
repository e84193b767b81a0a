using System.Diagnostics;
using EmAlign.Codecs;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Bench;

/// <summary>Zarr v3 sharding, blosc-zstd reads against zarr-python, and downsampling throughput, on the ssTEM stack.</summary>
internal static partial class Scenarios
{
    /// <summary>
    /// Sharded Zarr v3 writes against our own Zarr v2 writes with the same codec and chunks (the peer column): the
    /// whole stack in one shard, with 20 x 256 x 256 chunks (16 per shard) and with 20 x 64 x 64 chunks (256 per
    /// shard, nearer WEBKNOSSOS's small chunks). Figures are medians of interleaved rounds (best-of swings by 10%
    /// on two cores); the unsharded v3 write is shown beside them.
    /// </summary>
    private static void Zarr3ShardedWrite(string work)
    {
        var stack = LoadSsTem(out var box);
        double mb = stack.Length / 1e6;
        foreach (int[] chunk in new[] { new[] { 20, 256, 256 }, [20, 64, 64] })
            foreach (var codec in new[] { "none", "blosc-lz4", "blosc-zstd", "zstd" }.Where(c => Codecs.ChunkCodecs.Names.Contains(c)))
            {
                double Write(string format, int[]? shard)
                {
                    var sw = Stopwatch.StartNew();
                    using (var v = VolumeFormats.Create(format, Path.Combine(work, $"w-{format}{(shard is null ? "" : "-sharded")}-{codec}.zarr"), new VolumeCreateOptions
                    {
                        DataType = DataType.UInt8, Shape = [box.SizeZ, box.SizeY, box.SizeX], ChunkShape = chunk, ShardShape = shard,
                        Codec = codec, Force = true,
                    }))
                    {
                        v.Write<byte>(0, box, stack);
                        v.Flush();
                    }
                    return sw.Elapsed.TotalSeconds;
                }
                var (v2, v3, v3u) = (new List<double>(), new List<double>(), new List<double>());
                for (int run = 0; run < 12; run++)
                {
                    // Every write starts with no dirty pages (synced outside the timing), so none pays for the
                    // write-back of another; the order alternates. Each variant has its own output, so each -Force
                    // replaces its own previous files.
                    foreach (var (format, shard, times) in run % 2 == 0
                        ? new[] { ("zarr2", (int[]?)null, v2), ("zarr3", [20, 1024, 1024], v3), ("zarr3", null, v3u) }
                        : [("zarr3", [20, 1024, 1024], v3), ("zarr2", null, v2), ("zarr3", null, v3u)])
                    {
                        SyncDisks();
                        times.Add(Write(format, shard));
                    }
                }
                string chunks = $"{chunk[0]}x{chunk[1]}x{chunk[2]}";
                Measure.Row($"zarr3 unsharded write {codec}, {chunks} chunks", mb / Median(v3u), mb / Median(v2), "MB/s");
                // The issue's number: sharded v3 against our v2 with the same codec.
                Measure.Row($"zarr3 sharded write {codec}, {chunks} chunks in 1 shard", mb / Median(v3), mb / Median(v2), "MB/s");
            }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sync")]
    private static extern void LibcSync();

    /// <summary>Writes dirty pages back (Linux; elsewhere nothing), so the next timed write starts from a clean page cache.</summary>
    private static void SyncDisks()
    {
        if (OperatingSystem.IsLinux()) LibcSync();
    }

    private static double Median(List<double> values)
    {
        var s = values.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>
    /// Zstandard decoding of the stack's 16 chunks (20 x 256 x 256), compressed at level 5 by the Debian zstd tool,
    /// against `zstd -d -T1` decoding the same frames (repeated 5 times in one file so process start-up does not count).
    /// </summary>
    private static void ZstdDecode(string work)
    {
        var stack = LoadSsTem(out var box);
        // The raw stack barely compresses (mostly raw blocks); 16 grey levels exercise Huffman literals and FSE sequences.
        ZstdDecodeRow(work, stack, box, "EM");
        ZstdDecodeRow(work, [.. stack.Select(b => (byte)(b >> 4))], box, "EM >> 4");
    }

    private static void ZstdDecodeRow(string work, byte[] stack, Box3 box, string label)
    {
        int chunk = 20 * 256 * 256;
        string dir = Path.Combine(work, "zstd-chunks");
        Directory.CreateDirectory(dir);
        var frames = new List<byte[]>();
        for (int c = 0; c < 16; c++)
        {
            // Chunk c: z 0..20, rows (c / 4) * 256.., columns (c % 4) * 256..
            var data = new byte[chunk];
            for (int z = 0; z < 20; z++)
                for (int y = 0; y < 256; y++)
                    stack.AsSpan((int)((z * box.SizeY + (c / 4) * 256 + y) * box.SizeX + (c % 4) * 256), 256).CopyTo(data.AsSpan((z * 256 + y) * 256));
            string raw = Path.Combine(dir, $"c{c}");
            File.WriteAllBytes(raw, data);
            if (!Tool("zstd", $"-q -f -5 \"{raw}\" -o \"{raw}.zst\"")) { Console.WriteLine("   the zstd tool is not available"); return; }
            frames.Add(File.ReadAllBytes(raw + ".zst"));
        }
        const int Repeats = 5;
        var all = frames.SelectMany(f => f).ToArray();
        string multi = Path.Combine(dir, "all.zst");
        using (var f = File.Create(multi))
            for (int r = 0; r < Repeats; r++) f.Write(all);
        double mb = 16.0 * chunk * Repeats / 1e6;
        double tool = Measure.Best(5, () => Tool("sh", $"-c \"zstd -d -T1 -q -c '{multi}' > /dev/null\""));
        var dst = new byte[chunk];
        double ours = Measure.Best(5, () =>
        {
            for (int r = 0; r < Repeats; r++)
                foreach (var f in frames)
                    if (Zstd.Decompress(f, dst) != chunk) throw new InvalidOperationException("short frame");
        });
        Measure.Row($"zstd -5 decode, 16 {label} chunks (ratio {16.0 * chunk / all.Length:0.00})", mb / ours, mb / tool, "MB/s");
    }

    private static bool Tool(string file, string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true })!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>Reading blosc-zstd (clevel 5, byte shuffle) chunks that zarr-python wrote, against zarr-python reading them.</summary>
    private static void BloscZstdRead(string work)
    {
        string path = Path.Combine(work, "peer-blosc-zstd.zarr");
        var peer = Peer.Script("blosc_zstd_read.py", SsTemRaw, path, "5");
        if (peer is null) return;
        long bytes = 0;
        double r = Measure.Best(5, () =>
        {
            using var v = VolumeFormats.Open(path, new VolumeOpenOptions { Cache = new ChunkCache(0) });
            bytes = v.Read<byte>(0, v.Bounds).Length;
        });
        Measure.Row("blosc-zstd read 20x1024^2 uint8 level 5", bytes / 1e6 / r, peer["read_mbs"], "MB/s");
    }

    /// <summary>
    /// All levels of the stack (4 x 4 x 50 nm voxels: 2-2-1, 4-4-1, 8-8-1, 16-16-1) from a stored Zarr v3 pyramid, in
    /// Mvoxel of the finest level per second; the peer column is the issue's 200 Mvoxel/s target.
    /// </summary>
    private static void Downsample(string work)
    {
        var stack = LoadSsTem(out var box);
        string path = Path.Combine(work, "downsample.zarr");
        double best = double.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            using (var v = VolumeFormats.Create("zarr3", path, new VolumeCreateOptions
            {
                DataType = DataType.UInt8, Shape = [box.SizeZ, box.SizeY, box.SizeX], ChunkShape = [20, 256, 256],
                VoxelSize = new VoxelSize(4, 4, 50), ExtraMags = [new Mag(2, 2, 1)], Force = true,
            }))
                v.Write<byte>(0, box, stack);
            // Timed: the engine call as `emalign downsample` runs it (open, compute every level, write, list).
            var r = Pyramid.Downsample(path, new DownsampleOptions { Force = true });
            if (r.Computed.Count != 4) throw new InvalidOperationException($"expected 4 levels, computed {string.Join(", ", r.Computed)}");
            best = Math.Min(best, r.Elapsed.TotalSeconds);
        }
        Measure.Row($"downsample 20x1024^2 to all levels ({Environment.ProcessorCount} cores)", box.VoxelCount / 1e6 / best, 200, "Mvoxel/s");

        // The kernels alone, in memory: mean 2-2-1 of the whole stack.
        var reduced = new byte[stack.Length / 4];
        double k = Measure.Best(5, () => Downsampler.Reduce(stack, DataType.UInt8, 1, ((int)box.SizeX, (int)box.SizeY, (int)box.SizeZ), new Mag(2, 2, 1), DownsampleFilter.Mean, reduced));
        Measure.Row("mean 2-2-1 kernel, one thread, in memory", box.VoxelCount / 1e6 / k, null, "Mvoxel/s");
    }
}
