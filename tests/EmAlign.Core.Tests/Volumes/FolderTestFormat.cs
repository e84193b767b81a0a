using System.Text.Json;
using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Tests.Volumes;

/// <summary>
/// A deliberately plain on-disk format for tests of code that works over any registered format (copying,
/// front ends) without depending on a real one: a folder with "volume.json" and one raw file per chunk,
/// levels in subfolders "0", "1", ... Also linked into the CLI and PowerShell test projects.
/// </summary>
public sealed class FolderTestFormat : IVolumeFormat
{
    public const string FormatName = "test-folder";
    private const string MetadataFile = "volume.json";

    private static readonly FolderTestFormat s_instance = new();

    /// <summary>Registers the format once (the registry ignores repeats).</summary>
    public static void Register() => VolumeFormats.Register(s_instance);

    public string Name => FormatName;

    public bool CanOpen(string path) => File.Exists(Path.Combine(path, MetadataFile));

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(path, MetadataFile)))!;
        var type = DataTypes.Parse((string)meta["dtype"]!);
        double fill = (double)meta["fill"]!;
        var levels = meta["levels"]!.AsArray().Select((l, i) => new VolumeLevel(
            Mag.Parse((string)l!["mag"]!),
            new FolderArray(Path.Combine(path, i.ToString()), type, Longs(l["shape"]!), Ints(l["chunks"]!), fill, options.Writable))).ToList();
        var vs = Doubles(meta["voxel_size"]!);
        var off = Doubles(meta["offset"]!);
        return new EmVolume(path, FormatName, "", levels, new VoxelSize(vs[0], vs[1], vs[2], (string)meta["unit"]!), options.Cache, (off[0], off[1], off[2]));
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        if (Directory.Exists(path) || File.Exists(path))
        {
            if (!options.Force) throw new OutputExistsException(path);
            if (Directory.Exists(path)) Directory.Delete(path, true); else File.Delete(path);
        }
        if (options.Codec != "none") throw new EmAlignException($"The test format stores raw chunks; codec '{options.Codec}' is not supported.", "codec");
        var shape = options.Shape;
        var chunks = options.ChunkShape ?? [.. shape.Select((s, i) => (int)Math.Min(s, i == 0 && shape.Count == 4 ? s : 16))];
        var levels = new JsonArray();
        foreach (var mag in new[] { Mag.One }.Concat(options.ExtraMags))
        {
            var ls = shape.ToArray();
            ls[^1] = (ls[^1] + mag.X - 1) / mag.X; ls[^2] = (ls[^2] + mag.Y - 1) / mag.Y; ls[^3] = (ls[^3] + mag.Z - 1) / mag.Z;
            levels.Add(new JsonObject { ["mag"] = mag.ToString(), ["shape"] = new JsonArray([.. ls.Select(v => (JsonNode)v)]), ["chunks"] = new JsonArray([.. chunks.Select(v => (JsonNode)v)]) });
        }
        var meta = new JsonObject
        {
            ["dtype"] = options.DataType.Name(),
            ["fill"] = options.FillValue,
            ["voxel_size"] = new JsonArray(options.VoxelSize.X, options.VoxelSize.Y, options.VoxelSize.Z),
            ["unit"] = options.VoxelSize.Unit,
            ["offset"] = new JsonArray(options.Offset.X, options.Offset.Y, options.Offset.Z),
            ["levels"] = levels,
        };
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, MetadataFile), meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return Open(path, new VolumeOpenOptions { Writable = true, Cache = options.Cache });
    }

    private static long[] Longs(JsonNode n) => [.. n.AsArray().Select(v => (long)v!)];
    private static int[] Ints(JsonNode n) => [.. n.AsArray().Select(v => (int)v!)];
    private static double[] Doubles(JsonNode n) => [.. n.AsArray().Select(v => (double)v!)];

    private sealed class FolderArray(string dir, DataType type, long[] shape, int[] chunks, double fill, bool writable) : IChunkedArray
    {
        public string Path => dir;
        public DataType DataType => type;
        public IReadOnlyList<long> Shape => shape;
        public IReadOnlyList<int> ChunkShape => chunks;
        public double FillValue => fill;
        public bool CanWrite => writable;

        public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
        {
            var file = FileOf(chunkIndex);
            if (!File.Exists(file)) return false;
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length != destination.Length) throw new CorruptDataException($"'{file}' holds {bytes.Length} bytes, expected {destination.Length}.", file);
            bytes.CopyTo(destination);
            return true;
        }

        public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(FileOf(chunkIndex), data.ToArray());
        }

        public void Flush() { }

        public void Dispose() { }

        private string FileOf(ReadOnlySpan<long> idx) => System.IO.Path.Combine(dir, string.Join('.', idx.ToArray()));
    }
}
