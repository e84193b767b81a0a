using System.Numerics;
using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Formats.Zarr3;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>A new WEBKNOSSOS layer: what it holds and how it is stored.</summary>
public sealed record LayerSpec
{
    /// <summary>Layer (and folder) name.</summary>
    public required string Name { get; init; }

    /// <summary>"color" or "segmentation".</summary>
    public string Category { get; init; } = "color";

    /// <summary>"zarr3" (sharded, as webknossos-libs writes by default) or "wkw".</summary>
    public string DataFormat { get; init; } = "zarr3";

    /// <summary>Per-channel voxel type.</summary>
    public required DataType DataType { get; init; }

    public int Channels { get; init; } = 1;

    /// <summary>The layer's extent in mag-1 voxels (topLeft and size, x, y, z).</summary>
    public required Box3 BoundingBox { get; init; }

    /// <summary>The mags to store, finest first (factors per axis; the finest need not be 1).</summary>
    public required IReadOnlyList<Mag> Mags { get; init; }

    /// <summary>
    /// Compression: for zarr3 none, gzip, zstd or a blosc codec (default zstd where this build has it, else gzip); for wkw
    /// none (raw files), lz4 (default) or lz4hc.
    /// </summary>
    public string? Codec { get; init; }

    public int? CodecLevel { get; init; }

    /// <summary>Voxels per chunk side (zarr3 inner chunks, WKW blocks); a power of two.</summary>
    public int ChunkSize { get; init; } = 32;

    /// <summary>
    /// zarr3: shard side in x and y in voxels (shards are one chunk deep in z, so slab-wise writers finish them one by
    /// one); wkw: file side in voxels (cubeLength). A multiple of <see cref="ChunkSize"/>; default 1024.
    /// </summary>
    public int ShardSize { get; init; } = 1024;

    /// <summary>Voxel size at mag 1, used when the dataset is new (an existing dataset keeps its own).</summary>
    public VoxelSize VoxelSize { get; init; } = VoxelSize.Unknown;

    /// <summary>Replace a layer of the same name (the old one stays until the new one is complete).</summary>
    public bool Force { get; init; }
}

/// <summary>
/// Writes a new layer into a WEBKNOSSOS dataset (creating the dataset when the folder has no properties yet). The
/// layer is built in a hidden sibling folder ".name.partial-XXXXXXXX"; <see cref="Complete"/> computes the coarser mags,
/// moves it into place and only then rewrites datasource-properties.json (atomically, keeping every other key), so a
/// layer that is not finished is never listed. Disposing without completing removes the partial folder.
/// </summary>
public sealed class WebKnossosLayerWriter : IDisposable
{
    private readonly string _datasetDir;
    private readonly string _buildDir;
    private readonly LayerSpec _spec;
    private readonly VoxelSize _scale;
    private readonly bool _inPlace;
    private bool _completed;

    private WebKnossosLayerWriter(string datasetDir, string buildDir, LayerSpec spec, VoxelSize scale, EmVolume volume, bool inPlace)
    {
        _datasetDir = datasetDir;
        _buildDir = buildDir;
        _spec = spec;
        _scale = scale;
        Volume = volume;
        _inPlace = inPlace;
    }

    /// <summary>
    /// The layer being written, writable, one level per mag of the spec. Coordinates are WEBKNOSSOS array coordinates:
    /// voxel (0, 0, 0) of level k is mag-1 voxel (0, 0, 0), so the data goes at the bounding box's topLeft / mag.
    /// </summary>
    public EmVolume Volume { get; }

    /// <summary>The layer folder once complete.</summary>
    public string LayerDir => Path.Combine(_datasetDir, _spec.Name);

    /// <summary>Starts a layer in <paramref name="datasetDir"/> (an existing dataset, or a folder to become one).</summary>
    public static WebKnossosLayerWriter Begin(string datasetDir, LayerSpec spec, ChunkCache? cache = null) =>
        Begin(Path.GetFullPath(datasetDir), spec, cache, inPlace: false);

    /// <summary>
    /// Starts a layer written straight into its final folder, with the properties written at once (for a new dataset
    /// that is itself being built under a temporary name, as <see cref="VolumeCopier"/> does).
    /// </summary>
    internal static WebKnossosLayerWriter BeginInPlace(string datasetDir, LayerSpec spec, ChunkCache? cache) =>
        Begin(Path.GetFullPath(datasetDir), spec, cache, inPlace: true);

    private static WebKnossosLayerWriter Begin(string datasetDir, LayerSpec spec, ChunkCache? cache, bool inPlace)
    {
        Validate(spec);
        VoxelSize scale = spec.VoxelSize;
        if (WebKnossosDataset.IsDataset(datasetDir))
        {
            var props = DatasourceProperties.Read(datasetDir);
            scale = props.Scale;
            if (props.Layers.Any(l => l.Name == spec.Name) && !spec.Force)
                throw new OutputExistsException(Path.Combine(datasetDir, spec.Name));
        }
        else if (File.Exists(datasetDir) || (Directory.Exists(datasetDir) && Directory.EnumerateFileSystemEntries(datasetDir).Any() && !inPlace))
            throw new InvalidVolumeException($"'{datasetDir}' exists and is not a WEBKNOSSOS dataset (no {DatasourceProperties.FileName}): expected a dataset folder or a new path.", datasetDir);
        if (scale == VoxelSize.Unknown) scale = new VoxelSize(1, 1, 1, "nanometer");
        var codec = CodecFor(spec);

        var buildDir = inPlace ? Path.Combine(datasetDir, spec.Name) : Path.Combine(datasetDir, $".{spec.Name}.partial-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(buildDir);
        try
        {
            var levels = spec.Mags.Select(m => new VolumeLevel(m, CreateMag(Path.Combine(buildDir, WkMag.ShortName(m)), spec, codec, m))).ToList();
            var volume = new EmVolume(datasetDir, "webknossos", spec.Name, levels, scale, cache);
            var writer = new WebKnossosLayerWriter(datasetDir, buildDir, spec, scale, volume, inPlace);
            if (inPlace) writer.WriteMetadata();
            return writer;
        }
        catch
        {
            FileStore.DeleteTree(buildDir);
            throw;
        }
    }

    /// <summary>
    /// Finishes the layer: computes mags [<paramref name="computeFrom"/>+1 ..] from the finer ones (none when null),
    /// flushes, moves the layer into place and lists it in datasource-properties.json.
    /// </summary>
    public void Complete(int? computeFrom = 0, DownsampleFilter? filter = null, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (computeFrom is { } k && k + 1 < Volume.Levels.Count)
            PyramidBuilder.Fill(Volume, [.. Enumerable.Range(k + 1, Volume.Levels.Count - k - 1)], filter ?? (_spec.Category == "segmentation" ? DownsampleFilter.Mode : DownsampleFilter.Mean),
                progress, ct, _spec.BoundingBox);
        ct.ThrowIfCancellationRequested();
        Volume.Flush();
        if (!_inPlace)
        {
            WriteLayerGroup(_buildDir);
            string? replaced = null;
            if (Directory.Exists(LayerDir))
            {
                replaced = Path.Combine(_datasetDir, $".{_spec.Name}.replaced-{Guid.NewGuid().ToString("N")[..8]}");
                Directory.Move(LayerDir, replaced);
            }
            Directory.Move(_buildDir, LayerDir);
            WriteMetadata();
            if (replaced is not null) FileStore.DeleteTree(replaced);
        }
        _completed = true;
    }

    public void Dispose()
    {
        Volume.Dispose();
        // An unfinished layer goes; in-place layers belong to a dataset that its builder removes as a whole.
        if (!_completed && !_inPlace) FileStore.DeleteTree(_buildDir);
    }

    /// <summary>The layer group (zarr3), the dataset's root group (zarr3) and the properties listing the layer.</summary>
    private void WriteMetadata()
    {
        if (_inPlace) WriteLayerGroup(LayerDir);
        if (_spec.DataFormat == "zarr3" && !Zarr3Hierarchy.IsNode(_datasetDir)) Zarr3Hierarchy.WriteGroup(_datasetDir, null);
        int? cube = _spec.DataFormat == "wkw" ? _spec.ShardSize : null;
        var layer = DatasourceProperties.LayerJson(_spec.Name, _spec.Category, _spec.DataFormat, _spec.DataType, _spec.Channels, _spec.BoundingBox,
            _spec.Mags.Select(m => (m, cube)));
        DatasourceProperties.WriteWithLayer(_datasetDir, layer, DatasourceProperties.NewDocument(OmeNgff.NameOf(_datasetDir), _scale));
    }

    /// <summary>zarr3 layers are OME-NGFF 0.5 image groups over their mags (axes c, x, y, z), as WEBKNOSSOS writes them.</summary>
    private void WriteLayerGroup(string dir)
    {
        if (_spec.DataFormat != "zarr3") return;
        AxisRole[] roles = [AxisRole.Channel, AxisRole.X, AxisRole.Y, AxisRole.Z];
        var ome = OmeNgff.Write05(_spec.Name, roles, _scale, (0, 0, 0), [.. _spec.Mags.Select(m => (WkMag.ShortName(m), m))]);
        Zarr3Hierarchy.WriteGroup(dir, new JsonObject { ["ome"] = ome });
    }

    private static void Validate(LayerSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Name) || spec.Name.IndexOfAny(['/', '\\', ':']) >= 0 || spec.Name.StartsWith('.'))
            throw new EmAlignException($"Layer name '{spec.Name}' is not usable: expected a folder name without '/', '\\', ':' that does not start with '.'.", "Layer");
        if (spec.Category is not ("color" or "segmentation"))
            throw new EmAlignException($"Category '{spec.Category}' is not a WEBKNOSSOS layer category: expected color or segmentation.", "Category");
        if (spec.DataFormat is not ("zarr3" or "wkw"))
            throw new EmAlignException($"Data format '{spec.DataFormat}' cannot be written: expected zarr3 or wkw.", "DataFormat");
        if (spec.Channels < 1 || spec.BoundingBox.IsEmpty || spec.BoundingBox.X < 0 || spec.BoundingBox.Y < 0 || spec.BoundingBox.Z < 0)
            throw new EmAlignException($"Layer '{spec.Name}': {spec.Channels} channel(s) in {spec.BoundingBox}; expected at least one channel and a non-empty box at non-negative coordinates.", "BoundingBox");
        if (spec.Mags.Count == 0 || spec.Mags.Select(m => m.Max).Distinct().Count() != spec.Mags.Count)
            throw new EmAlignException($"Layer '{spec.Name}': mags {string.Join(", ", spec.Mags)}; expected at least one, with distinct largest factors.", "Mags");
        if (!BitOperations.IsPow2(spec.ChunkSize) || spec.ChunkSize is < 1 or > 1024 || spec.ShardSize % spec.ChunkSize != 0 || !BitOperations.IsPow2(spec.ShardSize / spec.ChunkSize))
            throw new EmAlignException($"Chunk size {spec.ChunkSize} and shard size {spec.ShardSize}: expected a power of two up to 1024 and a power-of-two multiple of it.", "ChunkSize");
        if (spec.DataFormat == "wkw" && spec.DataType.Size() * spec.Channels > 255)
            throw new EmAlignException($"WKW voxels hold at most 255 bytes; {spec.Channels} x {spec.DataType.Name()} is more.", "Channels");
    }

    private static IChunkCodec? CodecFor(LayerSpec spec)
    {
        var name = spec.Codec ?? (spec.DataFormat == "wkw" ? "lz4" : DefaultZarr3Codec);
        if (spec.DataFormat == "wkw")
            return name is "none" or "lz4" or "lz4hc" ? null
                : throw new EmAlignException($"Codec '{name}' cannot be stored in WKW: expected none, lz4 or lz4hc.", "codec");
        var codec = ChunkCodecs.Create(name, spec.CodecLevel);
        // As webknossos-libs writes zstd: with the frame checksum.
        if (codec is ZstdCodec z) codec = new ZstdCodec(z.Level, checksum: true);
        if (codec is not null && !Zarr3CodecChain.CanStore(codec))
            throw new EmAlignException($"Codec '{name}' cannot be stored in Zarr v3: expected none, gzip, zstd or a blosc codec.", "codec");
        return codec;
    }

    /// <summary>WEBKNOSSOS' own default (zstd) where this build has it.</summary>
    private static string DefaultZarr3Codec => ChunkCodecs.Names.Contains("zstd") ? "zstd" : "gzip";

    /// <summary>Creates one mag's empty array (zarr.json or header.wkw) and opens it for writing.</summary>
    private static IChunkedArray CreateMag(string dir, LayerSpec spec, IChunkCodec? codec, Mag mag)
    {
        var b = spec.BoundingBox;
        long x = Box3.CeilDiv(b.EndX, mag.X), y = Box3.CeilDiv(b.EndY, mag.Y), z = Box3.CeilDiv(b.EndZ, mag.Z);
        int cs = spec.ChunkSize, c = spec.Channels;
        Directory.CreateDirectory(dir);
        if (spec.DataFormat == "wkw")
        {
            var type = (spec.Codec ?? "lz4") switch { "none" => WkwBlockType.Raw, "lz4hc" => WkwBlockType.Lz4HC, _ => WkwBlockType.Lz4 };
            int blockLog2 = BitOperations.Log2((uint)cs), fileLog2 = BitOperations.Log2((uint)(spec.ShardSize / cs));
            var header = new WkwHeader(blockLog2, fileLog2, type, spec.DataType, spec.DataType.Size() * c, 0);
            WkwArray.WriteHeader(dir, header);
            return new WkwArray(dir, header, [z, y, x], writable: true);
        }
        // Stored (c, x, y, z) with a transpose to (z, y, x, c) bytes: channel fastest, then x, as WEBKNOSSOS writes.
        long[] shape = [c, x, y, z];
        int[] chunks = [c, cs, cs, cs];
        int[] shard = [c, spec.ShardSize, spec.ShardSize, cs];
        var meta = Zarr3Format.NewArray(shape, chunks, shard, spec.DataType, codec, 0, ["c", "x", "y", "z"], [3, 2, 1, 0], null);
        Zarr3Hierarchy.WriteJson(dir, meta.ToJson());
        return new Zarr3Array(dir, meta, [AxisRole.Channel, AxisRole.X, AxisRole.Y, AxisRole.Z], writable: true);
    }
}
