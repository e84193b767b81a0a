using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>
/// One mag of a WEBKNOSSOS layer as datasource-properties.json lists it: the factors (x, y, z), the array's location
/// (null: looked up as layer/short-name then layer/long-name), WKW's file side in voxels, the stored axis order
/// (axis name to array dimension; null: WEBKNOSSOS' [c,] x, y, z) and the layer's first channel in the array.
/// </summary>
public sealed record WkMag(Mag Mag, string? Path, int? CubeLength, IReadOnlyDictionary<string, int>? AxisOrder, int ChannelIndex)
{
    /// <summary>"2" for isotropic mags, "2-2-1" otherwise (WEBKNOSSOS' folder names).</summary>
    public static string ShortName(Mag m) => m.X == m.Y && m.Y == m.Z ? m.X.ToString(System.Globalization.CultureInfo.InvariantCulture) : m.ToString();
}

/// <summary>
/// One layer of a WEBKNOSSOS dataset. <see cref="BoundingBox"/> is in mag-1 voxels (x, y, z); <see cref="DataType"/>
/// is the per-channel type (elementClass divided by <see cref="Channels"/>).
/// </summary>
public sealed record WkLayer(string Name, string Category, string DataFormat, string ElementClass, int Channels, DataType DataType,
    Box3 BoundingBox, IReadOnlyList<WkMag> Mags)
{
    public bool IsSegmentation => Category == "segmentation";
}

/// <summary>
/// datasource-properties.json: the dataset's voxel size and layers. Reading converts legacy forms (scale as a bare
/// list in nanometres, wkwResolutions, uint24 without numChannels); rewriting keeps every key it does not manage, as
/// WEBKNOSSOS expects, and replaces the file atomically.
/// </summary>
public sealed class DatasourceProperties
{
    public const string FileName = "datasource-properties.json";

    private static readonly string[] s_units =
    [
        "yoctometer", "zeptometer", "attometer", "femtometer", "picometer", "nanometer", "micrometer", "millimeter", "centimeter",
        "decimeter", "meter", "hectometer", "kilometer", "megameter", "gigameter", "terameter", "petameter", "exameter",
        "zettameter", "yottameter", "angstrom", "inch", "foot", "yard", "mile", "parsec",
    ];

    private readonly JsonObject _doc;

    private DatasourceProperties(string file, JsonObject doc, VoxelSize scale, List<WkLayer> layers)
    {
        File = file;
        _doc = doc;
        Scale = scale;
        Layers = layers;
    }

    /// <summary>The properties file.</summary>
    public string File { get; }

    /// <summary>Size of a mag-1 voxel.</summary>
    public VoxelSize Scale { get; }

    public IReadOnlyList<WkLayer> Layers { get; }

    /// <summary>Reads <paramref name="datasetDir"/>/datasource-properties.json.</summary>
    public static DatasourceProperties Read(string datasetDir)
    {
        var file = System.IO.Path.Combine(datasetDir, FileName);
        var doc = JsonAttributes.ReadObject(file)
            ?? throw new VolumeNotFoundException($"'{datasetDir}' has no {FileName}: expected a WEBKNOSSOS dataset folder.", datasetDir);
        var scale = ParseScale(doc["scale"], file);
        if (doc["dataLayers"] is not JsonArray layersNode)
            throw new InvalidVolumeException($"'{file}': dataLayers is {doc["dataLayers"]?.ToJsonString() ?? "missing"}; expected a list of layers.", file);
        var layers = new List<WkLayer>();
        foreach (var node in layersNode)
        {
            if (node is not JsonObject lo) throw new InvalidVolumeException($"'{file}': a dataLayers entry is {node?.ToJsonString()}; expected an object.", file);
            var layer = ParseLayer(lo, file);
            if (layers.Any(l => l.Name == layer.Name)) throw new InvalidVolumeException($"'{file}' lists the layer '{layer.Name}' twice; layer names must be unique.", file);
            layers.Add(layer);
        }
        return new DatasourceProperties(file, doc, scale, layers);
    }

    public WkLayer Layer(string name) => Layers.FirstOrDefault(l => l.Name == name)
        ?? throw new EmAlignException($"'{File}' has no layer '{name}': expected one of {string.Join(", ", Layers.Select(l => l.Name))}.", "Layer");

    /// <summary>A new document for a dataset named <paramref name="name"/> with voxel size <paramref name="scale"/> and no layers.</summary>
    public static JsonObject NewDocument(string name, VoxelSize scale) => new()
    {
        ["id"] = new JsonObject { ["name"] = name, ["team"] = "" },
        ["scale"] = new JsonObject
        {
            ["factor"] = JsonAttributes.Numbers([scale.X, scale.Y, scale.Z]),
            ["unit"] = UnitName(scale.Unit),
        },
        ["dataLayers"] = new JsonArray(),
        ["version"] = 1,
    };

    /// <summary>
    /// Writes <paramref name="datasetDir"/>'s properties with <paramref name="layer"/> added, or replacing the layer of
    /// the same name, keeping everything else of the current document (or starting <paramref name="fresh"/>).
    /// </summary>
    public static void WriteWithLayer(string datasetDir, JsonObject layer, JsonObject? fresh = null)
    {
        var file = System.IO.Path.Combine(datasetDir, FileName);
        var doc = JsonAttributes.ReadObject(file) ?? fresh ?? throw new VolumeNotFoundException($"'{datasetDir}' has no {FileName}.", datasetDir);
        if (doc["dataLayers"] is not JsonArray list) doc["dataLayers"] = list = [];
        string name = layer["name"]!.GetValue<string>();
        int at = list.Select((l, i) => (l, i)).FirstOrDefault(t => t.l?["name"]?.GetValue<string>() == name, (null, -1)).Item2;
        if (at >= 0) list[at] = layer;
        else list.Add(layer);
        FileStore.WriteAtomic(file, JsonAttributes.ToBytes(doc));
    }

    /// <summary>Adds mags (under ./layer/short-name, with cubeLength for WKW) to an existing layer's entry, atomically.</summary>
    public static void AddMags(string datasetDir, string layerName, IEnumerable<(Mag Mag, int? CubeLength)> mags)
    {
        var file = System.IO.Path.Combine(datasetDir, FileName);
        var doc = JsonAttributes.ReadObject(file) ?? throw new VolumeNotFoundException($"'{datasetDir}' has no {FileName}.", datasetDir);
        var layer = (doc["dataLayers"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(l => l["name"]?.GetValue<string>() == layerName)
            ?? throw new InvalidVolumeException($"'{file}' has no layer '{layerName}'.", file);
        if (layer["mags"] is not JsonArray list)
        {
            // Legacy wkwResolutions become mags, as webknossos-libs rewrites them.
            list = [.. Read(datasetDir).Layer(layerName).Mags.Select(m => (JsonNode)MagJson(layerName, m.Mag, m.CubeLength))];
            layer.Remove("wkwResolutions");
            layer["mags"] = list;
        }
        foreach (var (mag, cube) in mags) list.Add(MagJson(layerName, mag, cube));
        FileStore.WriteAtomic(file, JsonAttributes.ToBytes(doc));
    }

    private static JsonObject MagJson(string layer, Mag mag, int? cube)
    {
        var mo = new JsonObject { ["mag"] = JsonAttributes.Numbers([mag.X, mag.Y, mag.Z]), ["path"] = $"./{layer}/{WkMag.ShortName(mag)}" };
        if (cube is { } cl) mo["cubeLength"] = cl;
        return mo;
    }

    /// <summary>The layer object WEBKNOSSOS expects for a new layer (zarr3 or wkw mags under ./name/mag).</summary>
    public static JsonObject LayerJson(string name, string category, string dataFormat, DataType type, int channels, Box3 box,
        IEnumerable<(Mag Mag, int? CubeLength)> mags)
    {
        var o = new JsonObject
        {
            ["name"] = name,
            ["category"] = category,
            ["boundingBox"] = new JsonObject
            {
                ["topLeft"] = JsonAttributes.Numbers([box.X, box.Y, box.Z]),
                ["width"] = box.SizeX, ["height"] = box.SizeY, ["depth"] = box.SizeZ,
            },
            ["elementClass"] = ElementClasses.Name(type, channels),
            ["dataFormat"] = dataFormat,
            ["numChannels"] = channels,
            ["mags"] = new JsonArray([.. mags.Select(m => (JsonNode)MagJson(name, m.Mag, m.CubeLength))]),
        };
        // Unknown until someone scans the labels; WEBKNOSSOS accepts null.
        if (category == "segmentation") o["largestSegmentId"] = null;
        return o;
    }

    private static VoxelSize ParseScale(JsonNode? node, string file)
    {
        // Legacy: a bare [x, y, z] in nanometres.
        if (node is JsonArray)
        {
            var v = JsonAttributes.Doubles(node, "scale", file)!;
            if (v.Length != 3) throw new InvalidVolumeException($"'{file}': scale {node.ToJsonString()}; expected [x, y, z].", file);
            return new VoxelSize(v[0], v[1], v[2], "nanometer");
        }
        if (node is JsonObject o)
        {
            var f = JsonAttributes.Doubles(o["factor"], "scale.factor", file);
            if (f is not { Length: 3 } || f.Any(x => !(x > 0)))
                throw new InvalidVolumeException($"'{file}': scale.factor is {o["factor"]?.ToJsonString() ?? "missing"}; expected three positive numbers [x, y, z].", file);
            var unit = JsonAttributes.String(o["unit"], "scale.unit", file) ?? "nanometer";
            return new VoxelSize(f[0], f[1], f[2], UnitName(unit));
        }
        throw new InvalidVolumeException($"'{file}': scale is {node?.ToJsonString() ?? "missing"}; expected {{\"factor\": [x, y, z], \"unit\": ...}} or [x, y, z].", file);
    }

    /// <summary>WEBKNOSSOS' long unit names ("nm" is written "nanometer").</summary>
    private static string UnitName(string unit)
    {
        var u = Units.Canonical(unit);
        return s_units.Contains(u) ? u : u switch { "in" => "inch", "ft" => "foot", "yd" => "yard", "mi" => "mile", "pc" => "parsec", _ => u };
    }

    private static WkLayer ParseLayer(JsonObject o, string file)
    {
        var name = JsonAttributes.String(o["name"], "layer name", file);
        if (string.IsNullOrEmpty(name) || name.Contains('/') || name.Contains('\\') || name is "." or "..")
            throw new InvalidVolumeException($"'{file}': a layer is named {o["name"]?.ToJsonString() ?? "(missing)"}; expected a folder name.", file);
        string where = $"layer '{name}'";
        var category = JsonAttributes.String(o["category"], where + " category", file) ?? "color";
        if (category is not ("color" or "segmentation"))
            throw new InvalidVolumeException($"'{file}': {where} has category \"{category}\"; expected \"color\" or \"segmentation\".", file);
        var format = JsonAttributes.String(o["dataFormat"], where + " dataFormat", file) ?? "wkw";
        var elementClass = JsonAttributes.String(o["elementClass"], where + " elementClass", file)
            ?? throw new InvalidVolumeException($"'{file}': {where} has no elementClass.", file);
        int? channels = o["numChannels"] is null ? null : (int)JsonAttributes.Long(o["numChannels"], where + " numChannels", file);
        var (type, n) = ElementClasses.Parse(elementClass, channels, file, where);

        if (o["boundingBox"] is not JsonObject bb)
            throw new InvalidVolumeException($"'{file}': {where} has no boundingBox.", file);
        var tl = JsonAttributes.Longs(bb["topLeft"], where + " boundingBox.topLeft", file);
        long w = JsonAttributes.Long(bb["width"], where + " width", file), h = JsonAttributes.Long(bb["height"], where + " height", file), d = JsonAttributes.Long(bb["depth"], where + " depth", file);
        if (tl.Length != 3 || w < 0 || h < 0 || d < 0)
            throw new InvalidVolumeException($"'{file}': {where} boundingBox {bb.ToJsonString()}; expected topLeft [x, y, z] and non-negative width, height, depth.", file);

        var mags = new List<WkMag>();
        if (o["mags"] is JsonArray magList)
        {
            foreach (var m in magList)
            {
                var factors = JsonAttributes.Longs(m?["mag"], where + " mag", file);
                if (factors.Length != 3 || factors.Any(f => f < 1 || f > 1 << 20))
                    throw new InvalidVolumeException($"'{file}': {where} has the mag {m?["mag"]?.ToJsonString()}; expected [x, y, z] factors >= 1.", file);
                Dictionary<string, int>? axisOrder = null;
                if (m!["axisOrder"] is JsonObject ao)
                    axisOrder = ao.ToDictionary(kv => kv.Key, kv => (int)JsonAttributes.Long(kv.Value, where + " axisOrder." + kv.Key, file));
                int? cube = m["cubeLength"] is null ? null : (int)JsonAttributes.Long(m["cubeLength"], where + " cubeLength", file);
                int channelIndex = m["channelIndex"] is null ? 0 : (int)JsonAttributes.Long(m["channelIndex"], where + " channelIndex", file);
                mags.Add(new WkMag(new Mag((int)factors[0], (int)factors[1], (int)factors[2]), JsonAttributes.String(m["path"], where + " mag path", file), cube, axisOrder, channelIndex));
            }
        }
        else if (o["wkwResolutions"] is JsonArray legacy)
        {
            foreach (var r in legacy)
            {
                var res = r?["resolution"];
                Mag mag = res is JsonArray
                    ? JsonAttributes.Longs(res, where + " resolution", file) is { Length: 3 } f ? new Mag((int)f[0], (int)f[1], (int)f[2]) : throw new InvalidVolumeException($"'{file}': {where} resolution {res.ToJsonString()}; expected [x, y, z].", file)
                    : new Mag((int)JsonAttributes.Long(res, where + " resolution", file), (int)JsonAttributes.Long(res, where + " resolution", file), (int)JsonAttributes.Long(res, where + " resolution", file));
                int? cube = r!["cubeLength"] is null ? null : (int)JsonAttributes.Long(r["cubeLength"], where + " cubeLength", file);
                mags.Add(new WkMag(mag, null, cube, null, 0));
            }
        }
        if (mags.Count == 0) throw new InvalidVolumeException($"'{file}': {where} lists no mags; expected \"mags\" (or legacy \"wkwResolutions\").", file);
        if (mags.Select(m => m.Mag).Distinct().Count() != mags.Count) throw new InvalidVolumeException($"'{file}': {where} lists a mag twice.", file);
        mags.Sort((a, b) => a.Mag.Max != b.Mag.Max ? a.Mag.Max.CompareTo(b.Mag.Max) : ((long)a.Mag.X * a.Mag.Y * a.Mag.Z).CompareTo((long)b.Mag.X * b.Mag.Y * b.Mag.Z));
        return new WkLayer(name, category, format, elementClass, n, type, new Box3(tl[0], tl[1], tl[2], w, h, d), mags);
    }
}

/// <summary>WEBKNOSSOS elementClass names: the whole voxel's type (all channels together).</summary>
public static class ElementClasses
{
    /// <summary>
    /// The per-channel type and channel count of <paramref name="elementClass"/>: the bit count divided by the channels
    /// ("uint24" with 3 channels is 3 x uint8; "uint24" without numChannels means RGB).
    /// </summary>
    public static (DataType Type, int Channels) Parse(string elementClass, int? numChannels, string file, string where)
    {
        var name = elementClass.Trim().ToLowerInvariant() switch { "float" => "float32", "double" => "float64", var s => s };
        int digits = name.IndexOfAny("0123456789".ToCharArray());
        string kind = digits < 0 ? name : name[..digits];
        if (digits < 0 || kind is not ("uint" or "int" or "float") || !int.TryParse(name[digits..], out int bits))
            throw Bad();
        int channels = numChannels ?? (bits == 24 && kind == "uint" ? 3 : 1);
        if (channels < 1 || bits % channels != 0) throw Bad();
        if (!DataTypes.TryParse($"{kind}{bits / channels}", out var type)) throw Bad();
        return (type, channels);

        InvalidVolumeException Bad() => new(
            $"'{file}': {where} has elementClass \"{elementClass}\"{(numChannels is { } n ? $" with {n} channels" : "")}; expected uint8, uint16, uint24, uint32, uint64, int8..int64, float or double whose bits divide by numChannels.", file);
    }

    /// <summary>The elementClass of <paramref name="channels"/> channels of <paramref name="type"/> ("uint24" for 3 x uint8).</summary>
    public static string Name(DataType type, int channels)
    {
        int bits = type.Size() * 8 * channels;
        return type switch
        {
            DataType.Float32 when channels == 1 => "float",
            DataType.Float64 when channels == 1 => "double",
            _ when type.IsFloat() => $"float{bits}",
            _ => $"{(type.IsSigned() ? "int" : "uint")}{bits}",
        };
    }
}
