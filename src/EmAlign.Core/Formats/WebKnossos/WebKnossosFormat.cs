using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Formats.Zarr3;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>
/// WEBKNOSSOS datasets ("webknossos"): a folder with datasource-properties.json. Opening gives one layer
/// (<see cref="VolumeOpenOptions.Layer"/>, default the first color layer) with one level per mag; a layer folder
/// (dataset/layer) opens that layer too. Color layers with several channels are (c, z, y, x) volumes.
/// Creating makes a new dataset with one zarr3 layer named "color" (mag 1 plus the extra mags), as webknossos-libs
/// lays it out; adding layers to existing datasets goes through <see cref="WebKnossosLayers.Add"/>.
/// </summary>
public sealed class WebKnossosFormat : IVolumeFormat, IMultiscaleFormat
{
    /// <summary>Name of the layer <see cref="Create"/> makes.</summary>
    public const string DefaultLayerName = "color";

    public string Name => "webknossos";

    public bool CanOpen(string path) => Directory.Exists(path) && (WebKnossosDataset.IsDataset(path) || LayerOf(path) is not null);

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        path = Path.GetFullPath(path);
        if (WebKnossosDataset.IsDataset(path)) return WebKnossosDataset.OpenLayer(path, options.Layer, options, Name);
        var (dataset, layer) = LayerOf(path) ?? throw new VolumeNotFoundException($"'{path}' is neither a WEBKNOSSOS dataset nor one of its layers.", path);
        if (options.Layer is { } asked && asked != layer)
            throw new EmAlignException($"'{path}' is the layer '{layer}', but the layer '{asked}' was asked for.", "Layer");
        return WebKnossosDataset.OpenLayer(dataset, layer, options, Name);
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        path = Path.GetFullPath(path);
        var req = CreateRequest.From(path, options);
        if (options.FillValue != 0) throw new EmAlignException($"Fill value {options.FillValue} cannot be stored in a WEBKNOSSOS layer: missing data reads as 0.", "FillValue");
        var spec = new LayerSpec
        {
            Name = DefaultLayerName,
            DataType = options.DataType,
            Channels = req.Shape.Length == 4 ? (int)req.Shape[0] : 1,
            BoundingBox = Box3.FromSize(req.Shape[^1], req.Shape[^2], req.Shape[^3]),
            Mags = req.Mags,
            Codec = options.Codec,
            CodecLevel = options.Level,
            ChunkSize = options.ChunkShape?[^1] ?? 32,
            ShardSize = options.ShardShape?[^1] ?? 1024,
            VoxelSize = options.VoxelSize,
        };
        CreateRequest.RemoveExisting(path, options.Force, WebKnossosDataset.IsDataset, "WEBKNOSSOS");
        Directory.CreateDirectory(path);
        return WebKnossosLayerWriter.BeginInPlace(path, spec, options.Cache).Volume;
    }

    /// <summary>
    /// Adds mags to a zarr3 or wkw layer: new mag folders encoded like the finest mag, listed in
    /// datasource-properties.json (and the layer's OME-NGFF group) only once filled.
    /// </summary>
    public EmVolume AddLevels(EmVolume volume, IReadOnlyList<Mag> mags, Action<EmVolume, Box3?> fill)
    {
        var dataset = volume.Path;
        var props = DatasourceProperties.Read(dataset);
        var layer = props.Layer(volume.Dataset);
        // The fill works on the stored arrays from voxel 0 (no topLeft shift), limited to the bounding box.
        static IChunkedArray Stored(IChunkedArray a) => a is ShiftedArray s ? s.Inner : a;
        var first = Stored(volume.Levels[0].Array);
        var created = new List<string>();
        var levels = volume.Levels.Select(l => new VolumeLevel(l.Mag, Stored(l.Array))).ToList();
        try
        {
            foreach (var mag in mags)
            {
                var dir = Path.Combine(dataset, layer.Name, WkMag.ShortName(mag));
                if (Directory.Exists(dir)) throw new OutputExistsException(dir);
                created.Add(dir);
                Directory.CreateDirectory(dir);
                var b = layer.BoundingBox;
                long x = Box3.CeilDiv(b.EndX, mag.X), y = Box3.CeilDiv(b.EndY, mag.Y), z = Box3.CeilDiv(b.EndZ, mag.Z);
                IChunkedArray array;
                switch (first)
                {
                    case WkwArray w:
                        WkwArray.WriteHeader(dir, w.Header);
                        array = new WkwArray(dir, w.Header, [z, y, x], writable: true);
                        break;
                    case Zarr3Array a:
                        var roles = Zarr3Array.RolesOf(a.Metadata, a.Path);
                        var shape = roles.Select((r, i) => r switch { AxisRole.X => x, AxisRole.Y => y, AxisRole.Z => z, _ => a.Metadata.Shape[i] }).ToArray();
                        var meta = a.Metadata with { Shape = shape };
                        Zarr3Hierarchy.WriteJson(dir, meta.ToJson());
                        array = new Zarr3Array(dir, meta, roles, writable: true);
                        break;
                    default:
                        throw new EmAlignException($"Layer '{layer.Name}' of '{dataset}' is stored as {layer.DataFormat}; EmAlign adds mags to zarr3 and wkw layers.", "path");
                }
                levels.Add(new VolumeLevel(mag, array));
            }
            var extended = new EmVolume(volume.Path, Name, volume.Dataset, levels, volume.VoxelSize, volume.Cache);
            fill(extended, layer.BoundingBox);
            extended.Flush();
            int? cube = first is WkwArray wk ? wk.Header.FileSide : null;
            DatasourceProperties.AddMags(dataset, layer.Name, mags.Select(m => (m, cube)));
            UpdateLayerGroup(Path.Combine(dataset, layer.Name), props.Scale, [.. layer.Mags.Select(m => m.Mag), .. mags]);
            return extended;
        }
        catch
        {
            foreach (var dir in created) FileStore.DeleteTree(dir);
            throw;
        }
    }

    public DownsampleFilter DefaultFilter(EmVolume volume) =>
        DatasourceProperties.Read(volume.Path).Layer(volume.Dataset).IsSegmentation ? DownsampleFilter.Mode : DownsampleFilter.Mean;

    /// <summary>Rewrites a zarr3 layer's OME-NGFF group over all its mags (layers of other formats have none).</summary>
    private static void UpdateLayerGroup(string layerDir, VoxelSize scale, IReadOnlyList<Mag> mags)
    {
        if (Zarr3Json.ReadNode(layerDir) is not { NodeType: "group" } node) return;
        var attrs = node.Doc["attributes"] as System.Text.Json.Nodes.JsonObject ?? [];
        var ms = OmeNgff.Read(attrs, Path.Combine(layerDir, Zarr3Json.NodeFile));
        var roles = ms?.Roles(layerDir) ?? [AxisRole.Channel, AxisRole.X, AxisRole.Y, AxisRole.Z];
        attrs.Remove("multiscales");
        attrs["ome"] = OmeNgff.Write05(Path.GetFileName(layerDir), roles, scale, (0, 0, 0), [.. mags.OrderBy(m => m.Max).Select(m => (WkMag.ShortName(m), m))]);
        node.Doc["attributes"] = attrs;
        Zarr3Hierarchy.WriteJson(layerDir, node.Doc);
    }

    /// <summary>The dataset and layer name when <paramref name="dir"/> is a layer folder of a dataset.</summary>
    private static (string Dataset, string Layer)? LayerOf(string dir)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
        if (parent is null || !WebKnossosDataset.IsDataset(parent)) return null;
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
        try { return DatasourceProperties.Read(parent).Layers.Any(l => l.Name == name) ? (parent, name) : null; }
        catch (EmAlignException) { return null; }
    }
}
