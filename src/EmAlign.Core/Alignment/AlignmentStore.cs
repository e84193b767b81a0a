using System.Text.Json;
using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Flow;
using EmAlign.Formats;
using EmAlign.Formats.Zarr;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Mesh;
using EmAlign.Volumes;

namespace EmAlign.Alignment;

/// <summary>
/// Saves and loads the intermediate results of an elastic alignment (<see cref="FlowFieldSet"/>, <see cref="MeshSolution"/>),
/// so a run can stop after any step and go on later, elsewhere or with other settings. A store is a folder that is
/// also a Zarr v2 group (zarr-python opens it):
/// <list type="bullet">
/// <item><c>alignment.json</c>: what it holds (kind, format version), the region (source path, level, mag, box in
/// working-level voxels, stride) and the per-section lists, snake_case; NaN is written as null.</item>
/// <item>flows: one float32 array <c>flows-f{factor}</c> per level, shape (c, z, y, x): c the flow's channels
/// ([dx, dy, peak sharpness, peak ratio] as measured, [dx, dy] once cleaned or merged), z the section, y and x the node grid.
/// Sections without a flow (section 0) are listed as missing and stored as NaN.</item>
/// <item>mesh solutions: <c>forward</c> and <c>inverse</c>, float32 (2, z, y, x) relative coordinate maps ([Δx, Δy] in
/// working-level pixels), their node boxes and strides in the JSON.</item>
/// </list>
/// Arrays are zlib-compressed, one section per chunk; values are stored bit for bit, so loading gives back exactly
/// what was saved, NaN included. A store is written under a temporary name and renamed when complete.
/// </summary>
public static class AlignmentStore
{
    /// <summary>The metadata file of a store.</summary>
    public const string MetadataFile = "alignment.json";

    private const int FormatVersion = 1;
    private const string FlowsKind = "flow_field_set";
    private const string SolutionKind = "mesh_solution";

    /// <summary>
    /// Saves <paramref name="state"/> (a <see cref="FlowFieldSet"/> or a <see cref="MeshSolution"/>) as a store at
    /// <paramref name="path"/>; an existing path is replaced only with <paramref name="force"/>, once the new store is
    /// complete. Returns the full path.
    /// </summary>
    public static string Save(IAlignmentState state, string path, bool force = false, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return AtomicOutput.Write(path, force, state.SourcePath, temp =>
        {
            Directory.CreateDirectory(temp);
            ZarrHierarchy.WriteGroup(temp, []);
            var meta = state switch
            {
                FlowFieldSet flows => WriteFlows(flows, temp, progress, ct),
                MeshSolution solution => WriteSolution(solution, temp, progress, ct),
                _ => throw new NotSupportedException($"{state.GetType().Name} cannot be saved: expected a FlowFieldSet or a MeshSolution."),
            };
            File.WriteAllText(Path.Combine(temp, MetadataFile), meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return Path.GetFullPath(path);
        });
    }

    /// <summary>Loads the store at <paramref name="path"/>: a <see cref="FlowFieldSet"/> or a <see cref="MeshSolution"/>, whichever it holds.</summary>
    public static IAlignmentState Load(string path, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        string full = Path.GetFullPath(path);
        var meta = ReadMetadata(full, path);
        return Str(meta, "kind", path) switch
        {
            FlowsKind => ReadFlows(full, meta, path, progress, ct),
            SolutionKind => ReadSolution(full, meta, path, progress, ct),
            var kind => throw new InvalidVolumeException($"'{path}' holds a '{kind}': expected a {FlowsKind} or a {SolutionKind}.", path),
        };
    }

    /// <summary>Loads a store that must hold flow fields.</summary>
    public static FlowFieldSet LoadFlows(string path, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default) =>
        Load(path, progress, ct) as FlowFieldSet ?? throw new InvalidVolumeException($"'{path}' holds a mesh solution: expected flow fields.", path);

    /// <summary>Loads a store that must hold a mesh solution.</summary>
    public static MeshSolution LoadSolution(string path, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default) =>
        Load(path, progress, ct) as MeshSolution ?? throw new InvalidVolumeException($"'{path}' holds flow fields: expected a mesh solution.", path);

    private static JsonObject WriteFlows(FlowFieldSet set, string dir, IProgress<ProgressInfo>? progress, CancellationToken ct)
    {
        var levels = new JsonArray();
        int total = set.Factors.Count * set.Sections, done = 0;
        for (int l = 0; l < set.Factors.Count; l++)
        {
            var flows = set.Flows[l];
            var first = flows.FirstOrDefault(f => f is not null);
            var level = new JsonObject { ["factor"] = set.Factors[l] };
            levels.Add(level);
            if (first is null) { level["array"] = null; done += set.Sections; continue; }
            if (flows.FirstOrDefault(f => f is not null && (!f.SameGrid(first) || f.Layout != first.Layout || f.PatchSize != first.PatchSize || f.PostPatchSize != first.PostPatchSize)) is { } odd)
                throw new EmAlignException($"The flows of level {set.Factors[l]} do not share one grid ({first} and {odd}): a store holds one grid per level.", "InputObject");
            string name = $"flows-f{set.Factors[l]}";
            level["array"] = name;
            level["channels"] = first.Channels;
            level["width"] = first.Width;
            level["height"] = first.Height;
            level["stride"] = first.Stride;
            level["origin_x"] = first.OriginX;
            level["origin_y"] = first.OriginY;
            level["patch_size"] = first.PatchSize;
            level["post_patch_size"] = first.PostPatchSize;
            level["missing"] = new JsonArray([.. Enumerable.Range(0, set.Sections).Where(z => flows[z] is null).Select(z => (JsonNode)z)]);
            using var array = CreateArray(Path.Combine(dir, name), first.Channels, set.Sections, first.Height, first.Width);
            var blank = new float[first.Data.Length];
            Array.Fill(blank, float.NaN);
            for (int z = 0; z < set.Sections; z++)
            {
                ct.ThrowIfCancellationRequested();
                array.Write<float>(0, new Box3(0, 0, z, first.Width, first.Height, 1), flows[z]?.Data ?? blank);
                progress?.Report(new ProgressInfo("Saving flow fields", $"level {set.Factors[l]}, section {z + 1} of {set.Sections}", ++done, total));
            }
            array.Flush();
        }
        var meta = Header(FlowsKind, set.Region);
        meta["patch_size"] = set.PatchSize;
        meta["factors"] = new JsonArray([.. set.Factors.Select(f => (JsonNode)f)]);
        meta["state"] = set.State.ToString().ToLowerInvariant();
        meta["delta_z"] = new JsonArray([.. set.DeltaZ.Select(d => (JsonNode)d)]);
        meta["ncc_before"] = Numbers(set.NccBefore);
        meta["levels"] = levels;
        return meta;
    }

    private static JsonObject WriteSolution(MeshSolution solution, string dir, IProgress<ProgressInfo>? progress, CancellationToken ct)
    {
        var meta = Header(SolutionKind, solution.Region);
        meta["forward"] = WriteMap(solution.Forward, dir, "forward");
        ct.ThrowIfCancellationRequested();
        progress?.Report(new ProgressInfo("Saving mesh solution", "forward map", 1, 2));
        meta["inverse"] = WriteMap(solution.Inverse, dir, "inverse");
        progress?.Report(new ProgressInfo("Saving mesh solution", "inverse map", 2, 2));
        meta["ncc_before"] = Numbers(solution.NccBefore);
        meta["residuals"] = new JsonArray([.. solution.Residuals.Select(r => (JsonNode)new JsonObject
        {
            ["z"] = r.Z,
            ["delta_z"] = r.DeltaZ,
            ["valid_vectors"] = r.ValidVectors,
            ["median"] = Number(r.Median),
            ["p95"] = Number(r.P95),
            ["max"] = Number(r.Max),
            ["status"] = r.Status.ToString(),
        })]);
        return meta;
    }

    private static JsonObject WriteMap(CoordinateMap map, string dir, string name)
    {
        using (var array = CreateArray(Path.Combine(dir, name), CoordinateMap.Channels, map.Sections, map.Height, map.Width))
        {
            array.Write<float>(0, new Box3(0, 0, 0, map.Width, map.Height, map.Sections), map.Data);
            array.Flush();
        }
        return new JsonObject { ["array"] = name, ["box"] = BoxJson(map.Box), ["stride_x"] = map.StrideX, ["stride_y"] = map.StrideY };
    }

    private static EmVolume CreateArray(string path, int channels, int sections, int height, int width) =>
        VolumeFormats.Create("zarr2", path, new VolumeCreateOptions
        {
            DataType = DataType.Float32,
            Shape = [channels, sections, height, width],
            ChunkShape = [channels, 1, height, width],
            Codec = "zlib",
            Cache = new ChunkCache(0),
        });

    private static FlowFieldSet ReadFlows(string dir, JsonObject meta, string path, IProgress<ProgressInfo>? progress, CancellationToken ct)
    {
        var region = ReadRegion(meta, path);
        int n = region.Sections;
        var factors = Ints(meta, "factors", path);
        var levels = Arr(meta, "levels", path);
        if (levels.Count != factors.Length) throw Invalid(path, $"{levels.Count} levels for {factors.Length} factors");
        var flows = new FlowField?[factors.Length][];
        int total = factors.Length * n, done = 0;
        for (int l = 0; l < factors.Length; l++)
        {
            flows[l] = new FlowField?[n];
            var level = levels[l] as JsonObject ?? throw Invalid(path, $"level {l} is not an object");
            if (level["array"] is null) { done += n; continue; }
            var layout = (FlowLayout)Int(level, "channels", path);
            if (!Enum.IsDefined(layout)) throw Invalid(path, $"level {l} has {(int)layout} channels (expected 2, 3 or 4)");
            int w = Int(level, "width", path), h = Int(level, "height", path);
            var missing = Ints(level, "missing", path).ToHashSet();
            using var array = OpenArray(dir, Str(level, "array", path), path, [(int)layout, n, h, w]);
            for (int z = 0; z < n; z++)
            {
                ct.ThrowIfCancellationRequested();
                if (!missing.Contains(z))
                    flows[l][z] = new FlowField(w, h, Int(level, "stride", path), layout, Int(level, "origin_x", path), Int(level, "origin_y", path),
                        Int(level, "patch_size", path), Int(level, "post_patch_size", path), array.ReadSingle(0, new Box3(0, 0, z, w, h, 1)));
                progress?.Report(new ProgressInfo("Loading flow fields", $"level {factors[l]}, section {z + 1} of {n}", ++done, total));
            }
        }
        var stateName = Str(meta, "state", path);
        if (!Enum.TryParse<FlowSetState>(stateName, ignoreCase: true, out var state) || !Enum.IsDefined(state))
            throw Invalid(path, $"state '{stateName}' (expected measured, cleaned or merged)");
        return new FlowFieldSet(region, Int(meta, "patch_size", path), factors, flows, Ints(meta, "delta_z", path), Doubles(meta, "ncc_before", path), state);
    }

    private static MeshSolution ReadSolution(string dir, JsonObject meta, string path, IProgress<ProgressInfo>? progress, CancellationToken ct)
    {
        var region = ReadRegion(meta, path);
        var forward = ReadMap(dir, Obj(meta, "forward", path), path);
        ct.ThrowIfCancellationRequested();
        progress?.Report(new ProgressInfo("Loading mesh solution", "forward map", 1, 2));
        var inverse = ReadMap(dir, Obj(meta, "inverse", path), path);
        progress?.Report(new ProgressInfo("Loading mesh solution", "inverse map", 2, 2));
        var residuals = Arr(meta, "residuals", path).Select(node =>
        {
            var r = node as JsonObject ?? throw Invalid(path, "a residual is not an object");
            var statusName = Str(r, "status", path);
            if (!Enum.TryParse<MeshSolveStatus>(statusName, out var status) || !Enum.IsDefined(status)) throw Invalid(path, $"residual status '{statusName}'");
            return new SectionResidual(Int(r, "z", path), Int(r, "delta_z", path), Int(r, "valid_vectors", path),
                Double(r["median"], path), Double(r["p95"], path), Double(r["max"], path), status);
        }).ToList();
        return new MeshSolution(region, forward, inverse, residuals, Doubles(meta, "ncc_before", path));
    }

    private static CoordinateMap ReadMap(string dir, JsonObject map, string path)
    {
        var box = ReadBox(Obj(map, "box", path), path);
        using var array = OpenArray(dir, Str(map, "array", path), path, [CoordinateMap.Channels, box.SizeZ, box.SizeY, box.SizeX]);
        var data = array.ReadSingle(0, new Box3(0, 0, 0, box.SizeX, box.SizeY, box.SizeZ));
        return new CoordinateMap(box, Double(map["stride_x"], path), Double(map["stride_y"], path), data);
    }

    private static EmVolume OpenArray(string dir, string name, string path, long[] shape)
    {
        string arrayPath = Path.Combine(dir, name);
        if (name.Contains('/') || name.Contains('\\') || name.StartsWith('.') || !Directory.Exists(arrayPath))
            throw Invalid(path, $"the array '{name}' is missing");
        var array = VolumeFormats.Get("zarr2").Open(arrayPath, new VolumeOpenOptions { Cache = new ChunkCache(0) });
        if (array.DataType != DataType.Float32 || !array.Levels[0].Array.Shape.SequenceEqual(shape))
        {
            array.Dispose();
            throw Invalid(path, $"the array '{name}' is {array.DataType.Name()} ({string.Join(", ", array.Levels[0].Array.Shape)}), expected float32 ({string.Join(", ", shape)})");
        }
        return array;
    }

    private static JsonObject Header(string kind, StackRegion region) => new()
    {
        ["kind"] = kind,
        ["format_version"] = FormatVersion,
        ["region"] = new JsonObject
        {
            ["source_path"] = region.SourcePath,
            ["level"] = region.Level,
            ["mag"] = region.Mag.ToString(),
            ["box"] = BoxJson(region.Region),
            ["stride"] = region.Stride,
        },
    };

    private static JsonObject ReadMetadata(string full, string path)
    {
        if (!Directory.Exists(full)) throw new VolumeNotFoundException($"'{path}' does not exist: expected a folder saved by Export-EmAlignmentState or `emalign flow`.", path);
        string file = Path.Combine(full, MetadataFile);
        if (!File.Exists(file)) throw new InvalidVolumeException($"'{path}' has no {MetadataFile}: expected a folder saved by Export-EmAlignmentState or `emalign flow`.", path);
        JsonObject meta;
        try { meta = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw Invalid(path, "the metadata is not a JSON object"); }
        catch (JsonException e) { throw new InvalidVolumeException($"'{file}' is not valid JSON: {e.Message}", path, e); }
        int version = Int(meta, "format_version", path);
        if (version != FormatVersion) throw Invalid(path, $"format version {version}, which this build does not read (it reads {FormatVersion})");
        return meta;
    }

    private static StackRegion ReadRegion(JsonObject meta, string path)
    {
        var r = Obj(meta, "region", path);
        var magText = Str(r, "mag", path);
        if (!Mag.TryParse(magText, out var mag)) throw Invalid(path, $"region mag '{magText}'");
        return new StackRegion(Str(r, "source_path", path), Int(r, "level", path), mag, ReadBox(Obj(r, "box", path), path), Int(r, "stride", path));
    }

    private static JsonObject BoxJson(Box3 b) => new()
    {
        ["x"] = b.X, ["y"] = b.Y, ["z"] = b.Z, ["size_x"] = b.SizeX, ["size_y"] = b.SizeY, ["size_z"] = b.SizeZ,
    };

    private static Box3 ReadBox(JsonObject b, string path) =>
        new(Long(b, "x", path), Long(b, "y", path), Long(b, "z", path), Long(b, "size_x", path), Long(b, "size_y", path), Long(b, "size_z", path));

    // JSON has no NaN: it is written as null (the values are NaN or finite).
    private static JsonNode? Number(double v) => double.IsNaN(v) ? null : JsonValue.Create(v);

    private static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(Number)]);

    private static double Double(JsonNode? node, string path) =>
        node is null ? double.NaN : node is JsonValue v && v.TryGetValue(out double d) ? d : throw Invalid(path, $"'{node.ToJsonString()}' where a number was expected");

    private static double[] Doubles(JsonObject o, string key, string path) => [.. Arr(o, key, path).Select(n => Double(n, path))];

    private static int Int(JsonObject o, string key, string path) =>
        o[key] is JsonValue v && v.TryGetValue(out int i) ? i : throw Invalid(path, $"'{key}' is missing or not an integer");

    private static long Long(JsonObject o, string key, string path) =>
        o[key] is JsonValue v && v.TryGetValue(out long i) ? i : throw Invalid(path, $"'{key}' is missing or not an integer");

    private static int[] Ints(JsonObject o, string key, string path) =>
        [.. Arr(o, key, path).Select(n => n is JsonValue v && v.TryGetValue(out int i) ? i : throw Invalid(path, $"'{key}' holds a non-integer"))];

    private static string Str(JsonObject o, string key, string path) =>
        o[key] is JsonValue v && v.TryGetValue(out string? s) && s is not null ? s : throw Invalid(path, $"'{key}' is missing or not a string");

    private static JsonObject Obj(JsonObject o, string key, string path) => o[key] as JsonObject ?? throw Invalid(path, $"'{key}' is missing or not an object");

    private static JsonArray Arr(JsonObject o, string key, string path) => o[key] as JsonArray ?? throw Invalid(path, $"'{key}' is missing or not a list");

    private static InvalidVolumeException Invalid(string path, string what) =>
        new($"'{Path.Combine(path, MetadataFile)}' is not a valid alignment store: {what}.", path);
}
