using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Bench;

/// <summary>The benchmark scenarios, by name. Each prints its rows; none asserts (acceptance is read off the ratios).</summary>
internal static partial class Scenarios
{
    public static Dictionary<string, Action<string>> All { get; } = new()
    {
        ["zarr2-io"] = Zarr2Io,
        ["tiff-read"] = TiffRead,
        ["zarr3-sharded-write"] = Zarr3ShardedWrite,
        ["blosc-zstd-read"] = BloscZstdRead,
        ["downsample"] = Downsample,
        ["zstd-decode"] = ZstdDecode,
        ["convert-memory"] = ConvertMemory,
        ["align-elastic"] = AlignElastic,
        ["align-memory"] = AlignMemory,
        ["flow-speed"] = FlowSpeed,
        ["warp-speed"] = WarpSpeed,
        ["features-global"] = FeaturesGlobal,
        ["features-piecewise"] = FeaturesPiecewise,
    };

    /// <summary>../shared/data/vnc-ssTEM-stack1/raw beside the repository, or EMALIGN_SHARED.</summary>
    internal static string SsTemRaw
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("EMALIGN_SHARED");
            var shared = !string.IsNullOrEmpty(env) ? env : Path.GetFullPath(Path.Combine(Peer.PeersDir, "..", "..", "..", "shared"));
            var raw = Path.Combine(shared, "data", "vnc-ssTEM-stack1", "raw");
            if (!Directory.Exists(raw)) throw new DirectoryNotFoundException($"The ssTEM stack is not at '{raw}': set EMALIGN_SHARED to the shared folder.");
            return raw;
        }
    }

    internal static byte[] LoadSsTem(out Box3 box)
    {
        using var v = VolumeFormats.Open(SsTemRaw);
        box = v.Bounds;
        return v.Read<byte>(0, box);
    }

    private static void Zarr2Io(string work)
    {
        var stack = LoadSsTem(out var box);
        double mb = stack.Length / 1e6;
        foreach (var codec in new[] { "none", "blosc-lz4" })
        {
            string path = Path.Combine(work, $"ours-{codec}.zarr");
            // As in the peer, the previous run's output is removed before the clock starts.
            double w = Measure.Best(10, () =>
            {
                using var v = VolumeFormats.Create("zarr2", path, new VolumeCreateOptions
                { DataType = DataType.UInt8, Shape = [box.SizeZ, box.SizeY, box.SizeX], ChunkShape = [20, 256, 256], Codec = codec });
                v.Write<byte>(0, box, stack);
                v.Flush();
            }, before: () => { if (Directory.Exists(path)) Directory.Delete(path, true); });
            double r = Measure.Best(10, () =>
            {
                using var v = VolumeFormats.Open(path);
                if (v.Read<byte>(0, box).Length != stack.Length) throw new InvalidOperationException("short read");
            });
            var peer = Peer.Script("zarr_io.py", SsTemRaw, Path.Combine(work, $"peer-{codec}.zarr"), codec);
            Measure.Row($"zarr v2 write 20x1024^2 uint8 {codec}", mb / w, peer?["write_mbs"], "MB/s");
            Measure.Row($"zarr v2 read  20x1024^2 uint8 {codec}", mb / r, peer?["read_mbs"], "MB/s");
        }
    }

    private static void TiffRead(string work)
    {
        var files = Directory.GetFiles(SsTemRaw, "*.tif");
        long bytes = 0;
        double perFile = Measure.Best(10, () =>
        {
            bytes = 0;
            foreach (var f in files)
            {
                using var v = VolumeFormats.Open(f);
                bytes += v.Read<byte>(0, v.Bounds).Length;
            }
        });
        // The way a stack is read in EmAlign: the folder as one volume, one block for all sections.
        double stack = Measure.Best(10, () =>
        {
            using var v = VolumeFormats.Open(SsTemRaw);
            v.Read<byte>(0, v.Bounds);
        });
        var peer = Peer.Script("tiff_read.py", SsTemRaw);
        Measure.Row("read 20 ImageJ TIFFs, one array per file", bytes / 1e6 / perFile, peer?["read_mbs"], "MB/s");
        Measure.Row("read 20 ImageJ TIFFs as one stack", bytes / 1e6 / stack, peer?["stack_mbs"], "MB/s");
    }
}
