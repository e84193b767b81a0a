using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.N5;
using EmAlign.Formats.Zarr;
using EmAlign.Formats.Zarr3;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>
/// Reading WEBKNOSSOS datasets: a layer becomes an <see cref="EmVolume"/> whose levels are its mags (finest first).
/// Mag arrays are addressed from voxel 0 as WEBKNOSSOS stores them; the volume starts at the layer's bounding box
/// topLeft, rounded down to a multiple of every level's chunk size times its mag (exactly topLeft in the usual case of
/// chunk-aligned boxes), and its <see cref="EmVolume.Offset"/> is that corner times the voxel size.
/// Data types: WKW headers must agree with elementClass and numChannels; self-describing arrays (Zarr, N5) are read
/// with their own type (their bytes can only be decoded with it) but must have the layer's channel count.
/// </summary>
public static class WebKnossosDataset
{
    /// <summary>True when <paramref name="dir"/> holds datasource-properties.json.</summary>
    public static bool IsDataset(string dir) => File.Exists(Path.Combine(dir, DatasourceProperties.FileName));

    /// <summary>Reads a dataset's properties (layers, mags, voxel size).</summary>
    public static DatasourceProperties Read(string datasetDir) => DatasourceProperties.Read(Path.GetFullPath(datasetDir));

    /// <summary>The layer a volume opens by default: the first color layer, else the first layer.</summary>
    public static WkLayer DefaultLayer(DatasourceProperties props) =>
        props.Layers.FirstOrDefault(l => !l.IsSegmentation) ?? props.Layers.FirstOrDefault()
        ?? throw new InvalidVolumeException($"'{props.File}' lists no layers: expected at least one entry in dataLayers.", props.File);

    /// <summary>Opens layer <paramref name="layerName"/> (null: <see cref="DefaultLayer"/>) of the dataset in <paramref name="datasetDir"/>.</summary>
    public static EmVolume OpenLayer(string datasetDir, string? layerName, VolumeOpenOptions options, string formatName = "webknossos")
    {
        datasetDir = Path.GetFullPath(datasetDir);
        var props = DatasourceProperties.Read(datasetDir);
        var layer = layerName is null ? DefaultLayer(props) : props.Layer(layerName);
        var arrays = layer.Mags.Select(m => OpenMag(datasetDir, props, layer, m, options.Writable)).ToList();
        var origin = Origin(layer, arrays);
        var levels = new List<VolumeLevel>();
        for (int i = 0; i < arrays.Count; i++)
        {
            var m = layer.Mags[i].Mag;
            var a = arrays[i];
            int r = a.Shape.Count;
            if (origin != (0, 0, 0))
            {
                var shift = new long[r];
                shift[r - 1] = origin.X / m.X / a.ChunkShape[r - 1];
                shift[r - 2] = origin.Y / m.Y / a.ChunkShape[r - 2];
                shift[r - 3] = origin.Z / m.Z / a.ChunkShape[r - 3];
                a = new ShiftedArray(a, shift);
            }
            levels.Add(new VolumeLevel(m, a));
        }
        var vs = props.Scale;
        return new EmVolume(datasetDir, formatName, layer.Name, levels, vs, options.Cache, (origin.X * vs.X, origin.Y * vs.Y, origin.Z * vs.Z));
    }

    /// <summary>
    /// The mag-1 corner the volume starts at: topLeft rounded down to a common multiple of every level's chunk size
    /// times its mag, so each level's view starts on a chunk boundary.
    /// </summary>
    internal static (long X, long Y, long Z) Origin(WkLayer layer, IReadOnlyList<IChunkedArray> arrays)
    {
        long ax = 1, ay = 1, az = 1;
        for (int i = 0; i < arrays.Count; i++)
        {
            var m = layer.Mags[i].Mag;
            var c = arrays[i].ChunkShape;
            ax = Lcm(ax, (long)c[^1] * m.X);
            ay = Lcm(ay, (long)c[^2] * m.Y);
            az = Lcm(az, (long)c[^3] * m.Z);
        }
        var tl = layer.BoundingBox;
        return (Box3.FloorDiv(tl.X, ax) * ax, Box3.FloorDiv(tl.Y, ay) * ay, Box3.FloorDiv(tl.Z, az) * az);
    }

    /// <summary>The folder of a mag: its "path" (relative to the dataset, or absolute), else layer/short name, else layer/long name.</summary>
    public static string MagFolder(string datasetDir, WkLayer layer, WkMag mag, string propsFile)
    {
        if (mag.Path is { } p)
        {
            if (p.Contains("://", StringComparison.Ordinal))
                throw new InvalidVolumeException($"'{propsFile}': mag {mag.Mag} of layer '{layer.Name}' is at '{p}'; EmAlign reads mags on the file system only.", propsFile);
            return Path.GetFullPath(Path.IsPathRooted(p) ? p : Path.Combine(datasetDir, p));
        }
        var shortDir = Path.Combine(datasetDir, layer.Name, WkMag.ShortName(mag.Mag));
        var longDir = Path.Combine(datasetDir, layer.Name, mag.Mag.ToString());
        return Directory.Exists(shortDir) || !Directory.Exists(longDir) ? shortDir : longDir;
    }

    /// <summary>True when the mag's folder exists (a listed mag may be missing; reading it then fails, naming the folder).</summary>
    public static bool MagExists(string datasetDir, WkLayer layer, WkMag mag, string propsFile) => Directory.Exists(MagFolder(datasetDir, layer, mag, propsFile));

    /// <summary>Opens one mag's array and checks it against the properties.</summary>
    private static IChunkedArray OpenMag(string datasetDir, DatasourceProperties props, WkLayer layer, WkMag mag, bool writable)
    {
        var file = props.File;
        var dir = MagFolder(datasetDir, layer, mag, file);
        string what = $"mag {mag.Mag} of layer '{layer.Name}'";
        if (mag.ChannelIndex != 0)
            throw new InvalidVolumeException($"'{file}': {what} starts at channel {mag.ChannelIndex} of a shared array; EmAlign reads layers that own their arrays.", file);
        var end = (X: Box3.CeilDiv(layer.BoundingBox.EndX, mag.Mag.X), Y: Box3.CeilDiv(layer.BoundingBox.EndY, mag.Mag.Y), Z: Box3.CeilDiv(layer.BoundingBox.EndZ, mag.Mag.Z));
        if (!Directory.Exists(dir))
            return new MissingMagArray(dir, $"'{file}' lists {what}, but its folder '{dir}' does not exist: the dataset is incomplete.", layer.DataType,
                layer.Channels > 1 ? [layer.Channels, end.Z, end.Y, end.X] : [end.Z, end.Y, end.X]);
        IChunkedArray array;
        switch (layer.DataFormat)
        {
            case "wkw":
                var header = WkwArray.ReadHeader(dir)
                    ?? throw new InvalidVolumeException($"'{file}' lists {what}, but '{dir}' has no {WkwArray.HeaderFile}: the mag folder is incomplete.", dir);
                var headerFile = Path.Combine(dir, WkwArray.HeaderFile);
                if (header.VoxelType != layer.DataType || header.Channels != layer.Channels)
                    throw new InvalidVolumeException(
                        $"'{headerFile}' stores {header.Channels} x {header.VoxelType.Name()} voxels, but '{file}' says layer '{layer.Name}' is {layer.ElementClass} with {layer.Channels} channel(s) ({layer.Channels} x {layer.DataType.Name()}).", headerFile);
                if (mag.CubeLength is { } cl && cl != header.FileSide)
                    throw new InvalidVolumeException($"'{file}' gives cubeLength {cl} for {what}, but '{headerFile}' describes files of {header.FileSide} voxels.", headerFile);
                array = new WkwArray(dir, header, [end.Z, end.Y, end.X], writable);
                break;
            case "zarr3":
                var node = Zarr3Json.ReadNode(dir);
                var nodeFile = Path.Combine(dir, Zarr3Json.NodeFile);
                if (node is not { NodeType: "array" })
                    throw new InvalidVolumeException($"'{file}' lists {what}, but '{dir}' has no Zarr v3 array (zarr.json with node_type \"array\").", dir);
                var meta3 = Zarr3ArrayMetadata.Parse(node.Value.Doc, nodeFile);
                var roles3 = RolesFromAxisOrder(mag, meta3.Shape.Length, file) ?? (meta3.DimensionNames is not null ? Zarr3Array.RolesOf(meta3, nodeFile) : DefaultRoles(meta3.Shape.Length, nodeFile));
                array = new Zarr3Array(dir, meta3, roles3, writable);
                break;
            case "zarr":
                var meta2 = ZarrArrayMetadata.Read(Path.Combine(dir, ZarrHierarchy.ArrayFile))
                    ?? throw new InvalidVolumeException($"'{file}' lists {what}, but '{dir}' has no .zarray.", dir);
                array = new ZarrArray(dir, meta2, RolesFromAxisOrder(mag, meta2.Shape.Length, file) ?? DefaultRoles(meta2.Shape.Length, dir), writable);
                break;
            case "n5":
                var attrs = N5Hierarchy.ReadAttributes(dir);
                if (!N5Hierarchy.IsDataset(attrs))
                    throw new InvalidVolumeException($"'{file}' lists {what}, but '{dir}' has no N5 dataset attributes.json.", dir);
                int rank = ((System.Text.Json.Nodes.JsonArray)attrs!["dimensions"]!).Count;
                // WEBKNOSSOS lists N5 axes in N5's own order (fastest first); EmAlign's stored order is the reverse.
                var listed = RolesFromAxisOrder(mag, rank, file) ?? DefaultRoles(rank, dir);
                array = N5Hierarchy.OpenDataset(dir, attrs, writable, [.. Enumerable.Reverse(listed)]);
                break;
            default:
                throw new InvalidVolumeException($"'{file}': layer '{layer.Name}' has dataFormat \"{layer.DataFormat}\"; EmAlign reads wkw, zarr3, zarr and n5 layers.", file);
        }
        int channels = array.Shape.Count == 4 ? (int)array.Shape[0] : 1;
        if (channels != layer.Channels)
        {
            array.Dispose();
            throw new InvalidVolumeException($"'{array.Path}' holds {channels} channel(s), but '{file}' says layer '{layer.Name}' has {layer.Channels}.", array.Path);
        }
        if (layer.DataFormat != "wkw" && (array.Shape[^1] < end.X || array.Shape[^2] < end.Y || array.Shape[^3] < end.Z))
        {
            var shape = $"{array.Shape[^1]} x {array.Shape[^2]} x {array.Shape[^3]}";
            array.Dispose();
            throw new InvalidVolumeException(
                $"'{file}': the bounding box of layer '{layer.Name}' reaches {end.X} x {end.Y} x {end.Z} voxels at mag {mag.Mag}, but '{dir}' holds only {shape}: the properties disagree with the data.", dir);
        }
        return array;
    }

    /// <summary>WEBKNOSSOS' default stored order: [c,] x, y, z.</summary>
    private static AxisRole[] DefaultRoles(int rank, string source) => rank switch
    {
        3 => [AxisRole.X, AxisRole.Y, AxisRole.Z],
        4 => [AxisRole.Channel, AxisRole.X, AxisRole.Y, AxisRole.Z],
        _ => throw new InvalidVolumeException($"'{source}' has {rank} dimensions; expected [c,] x, y, z (3 or 4) for a WEBKNOSSOS layer.", source),
    };

    private static AxisRole[]? RolesFromAxisOrder(WkMag mag, int rank, string file)
    {
        if (mag.AxisOrder is not { } order) return null;
        var roles = new AxisRole?[rank];
        foreach (var (name, dim) in order)
        {
            if (dim < 0 || dim >= rank || roles[dim] is not null)
                throw new InvalidVolumeException($"'{file}': axisOrder of mag {mag.Mag} maps '{name}' to dimension {dim} of a {rank}-dimensional array.", file);
            roles[dim] = name switch
            {
                "x" => AxisRole.X, "y" => AxisRole.Y, "z" => AxisRole.Z, "c" => AxisRole.Channel,
                _ => throw new InvalidVolumeException($"'{file}': axisOrder of mag {mag.Mag} has the axis '{name}'; EmAlign reads c, x, y and z.", file),
            };
        }
        if (roles.Any(r => r is null))
            throw new InvalidVolumeException($"'{file}': axisOrder of mag {mag.Mag} does not name all {rank} dimensions.", file);
        var result = roles.Select(r => r!.Value).ToArray();
        AxisRoles.Validate(result, file);
        return result;
    }

    private static long Lcm(long a, long b) => a / Gcd(a, b) * b;

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
