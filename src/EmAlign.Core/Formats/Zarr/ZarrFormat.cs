using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr;

/// <summary>
/// Zarr v2 ("zarr2"): a single array (.zarray), or a group holding a resolution pyramid described by
/// OME-NGFF 0.4 multiscales (or arrays named s0, s1, ... / WEBKNOSSOS mag names without metadata).
/// Voxel size and offset come from the multiscales, else from funlib attributes on the array.
/// Created volumes are readable by zarr-python 2: all eight .zarray keys, numcodecs compressor configs,
/// .zgroup for every parent group, funlib attributes on every array and OME-NGFF 0.4 on pyramids
/// (whose arrays use nested "/" chunk keys, as OME-NGFF 0.4 requires).
/// </summary>
public sealed class ZarrFormat : IVolumeFormat
{
    public string Name => "zarr2";

    /// <summary>
    /// True for a folder with .zarray or .zgroup; false for a WEBKNOSSOS dataset root
    /// (datasource-properties.json), which its own format reads.
    /// </summary>
    public bool CanOpen(string path) =>
        Directory.Exists(path) && !File.Exists(Path.Combine(path, "datasource-properties.json"))
        && (ZarrHierarchy.IsArray(path) || ZarrHierarchy.IsGroup(path));

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        path = Path.GetFullPath(path);
        if (!Directory.Exists(path)) throw new VolumeNotFoundException($"'{path}' does not exist: expected a Zarr v2 array or group folder.", path);
        var (root, dataset) = ZarrHierarchy.Split(path);
        if (ZarrHierarchy.IsArray(path))
        {
            var (array, info) = OpenArray(path, options.Writable, null);
            return new EmVolume(root, Name, dataset, [new VolumeLevel(Mag.One, array)], info?.VoxelSize ?? VoxelSize.Unknown, options.Cache, info?.Offset);
        }
        if (!ZarrHierarchy.IsGroup(path))
            throw new InvalidVolumeException($"'{path}' has neither .zarray nor .zgroup: expected a Zarr v2 array or group.", path);

        var attrsFile = Path.Combine(path, ZarrHierarchy.AttrsFile);
        var ms = OmeNgff.Read(JsonAttributes.ReadObject(attrsFile), attrsFile);
        return ms is not null ? OpenOme(path, root, dataset, ms, attrsFile, options) : OpenUndescribedPyramid(path, root, dataset, options);
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        path = Path.GetFullPath(path);
        var req = CreateRequest.From(path, options);
        var compressor = Numcodecs.ToJson(ChunkCodecs.Create(options.Codec, options.Level));

        // Build every array object first: it validates the layout and codec before anything touches the disk.
        var plan = new List<(string Dir, Mag Mag, ZarrArray Array)>();
        for (int k = 0; k < req.Mags.Count; k++)
        {
            var dir = req.IsPyramid ? Path.Combine(path, $"s{k}") : path;
            // OME-NGFF 0.4 asks for nested ("/") chunk keys; plain arrays keep "." for readers older than zarr 2.8.
            var meta = new ZarrArrayMetadata(req.LevelShape(req.Mags[k]), req.Chunks, options.DataType, false, compressor,
                ZarrArrayMetadata.CanonicalFill(options.FillValue), false, req.IsPyramid ? '/' : '.');
            plan.Add((dir, req.Mags[k], new ZarrArray(dir, meta, req.Roles, writable: true)));
        }

        CreateRequest.RemoveExisting(path, options.Force, d => ZarrHierarchy.IsArray(d) || ZarrHierarchy.IsGroup(d), "Zarr");
        var written = new List<string>();
        var root = ZarrHierarchy.PrepareParents(path, written);
        if (req.IsPyramid) ZarrHierarchy.WriteGroup(path, written);
        foreach (var (dir, mag, array) in plan)
        {
            Directory.CreateDirectory(dir);
            var attrs = new JsonObject();
            FunlibAttributes.Write(attrs, req.Roles, CreateRequest.LevelVoxelSize(options.VoxelSize, mag), options.Offset);
            ZarrHierarchy.WriteJson(Path.Combine(dir, ZarrHierarchy.AttrsFile), attrs, written);
            // .zarray last: the array exists for readers only once its metadata is complete.
            ZarrHierarchy.WriteJson(Path.Combine(dir, ZarrHierarchy.ArrayFile), array.Metadata.ToJson(), written);
        }
        if (req.IsPyramid)
        {
            var ms = OmeNgff.Write04(OmeNgff.NameOf(path), req.Roles, options.VoxelSize, options.Offset,
                [.. plan.Select(p => (Path.GetFileName(p.Dir), p.Mag))]);
            ZarrHierarchy.WriteJson(Path.Combine(path, ZarrHierarchy.AttrsFile), new JsonObject { ["multiscales"] = ms }, written);
        }
        var dataset = Path.GetRelativePath(root, path).Replace('\\', '/');
        if (dataset == ".") dataset = "";
        ZarrHierarchy.UpdateConsolidated(root, dataset, written);
        return new EmVolume(root, Name, dataset, [.. plan.Select(p => new VolumeLevel(p.Mag, p.Array))], options.VoxelSize, options.Cache, options.Offset);
    }

    /// <summary>Opens the array in <paramref name="dir"/> with <paramref name="roles"/>, or the roles its funlib attributes give.</summary>
    private static (ZarrArray Array, SpatialInfo? Info) OpenArray(string dir, bool writable, IReadOnlyList<AxisRole>? roles)
    {
        var file = Path.Combine(dir, ZarrHierarchy.ArrayFile);
        var meta = ZarrArrayMetadata.Read(file)
            ?? throw new VolumeNotFoundException($"'{dir}' has no .zarray: expected a Zarr v2 array there.", dir);
        var attrsFile = Path.Combine(dir, ZarrHierarchy.AttrsFile);
        var info = FunlibAttributes.Read(JsonAttributes.ReadObject(attrsFile), meta.Shape.Length, legacyXyz: false, attrsFile);
        roles ??= info?.Roles ?? AxisRoles.Default(meta.Shape.Length, file);
        return (new ZarrArray(dir, meta, roles, writable), info);
    }

    private EmVolume OpenOme(string path, string root, string dataset, OmeMultiscale ms, string attrsFile, VolumeOpenOptions options)
    {
        var roles = ms.Roles(attrsFile);
        var levels = new List<VolumeLevel>();
        for (int i = 0; i < ms.Levels.Count; i++)
        {
            var dir = Path.Combine(path, ms.Levels[i].Path);
            if (!ZarrHierarchy.IsArray(dir))
                throw new InvalidVolumeException($"'{attrsFile}' lists the level '{ms.Levels[i].Path}', but '{dir}' has no .zarray.", attrsFile);
            var (array, _) = OpenArray(dir, options.Writable, roles);
            var mag = ms.MagOf(i, attrsFile) ?? (i == 0 ? Mag.One : MagFromShapes(levels[0], array, ms.Levels[i].Path, attrsFile));
            levels.Add(new VolumeLevel(mag, array));
        }
        Pyramids.CheckLevels(levels, attrsFile);
        return new EmVolume(root, Name, dataset, levels, ms.VoxelSize(0, attrsFile), options.Cache, ms.Offset(0, attrsFile));
    }

    /// <summary>A group without multiscales: a pyramid when its arrays are named like one, else an error listing them.</summary>
    private EmVolume OpenUndescribedPyramid(string path, string root, string dataset, VolumeOpenOptions options)
    {
        var arrays = Directory.EnumerateDirectories(path).Where(ZarrHierarchy.IsArray).Select(Path.GetFileName).OfType<string>().Order().ToList();
        var names = Pyramids.FromNames(arrays)
            ?? throw new InvalidVolumeException(arrays.Count == 0
                ? $"'{path}' is a Zarr group without arrays or multiscales metadata: expected an array or an image group."
                : $"'{path}' is a Zarr group without multiscales metadata and its arrays ({string.Join(", ", arrays)}) do not form a pyramid: open one of them, e.g. '{Path.Combine(path, arrays[0])}'.", path);
        var levels = new List<VolumeLevel>();
        SpatialInfo? info0 = null;
        foreach (var (name, namedMag) in names)
        {
            var (array, info) = OpenArray(Path.Combine(path, name), options.Writable, null);
            Mag mag;
            if (levels.Count == 0) { mag = namedMag ?? Mag.One; info0 = info; }
            else if (namedMag is { } m) mag = m;
            else if (info0 is not null && info is not null && info.VoxelSize.Unit == info0.VoxelSize.Unit && info0.VoxelSize != VoxelSize.Unknown)
                mag = Pyramids.MagFromScales(Xyz(info0.VoxelSize), Xyz(info.VoxelSize), name, path);
            else mag = MagFromShapes(levels[0], array, name, path);
            levels.Add(new VolumeLevel(mag, array));
        }
        Pyramids.CheckLevels(levels, path);
        var vs = info0?.VoxelSize ?? VoxelSize.Unknown;
        var level0Mag = levels[0].Mag;
        // A WEBKNOSSOS-named pyramid may start above mag 1; the voxel size is that of mag 1.
        if (!level0Mag.IsOne) vs = vs with { X = vs.X / level0Mag.X, Y = vs.Y / level0Mag.Y, Z = vs.Z / level0Mag.Z };
        return new EmVolume(root, Name, dataset, levels, vs, options.Cache, info0?.Offset);
    }

    private static Mag MagFromShapes(VolumeLevel fine, IChunkedArray coarse, string level, string source) =>
        Pyramids.MagFromShapes(fine.Size, (coarse.Shape[^1], coarse.Shape[^2], coarse.Shape[^3]), level, source);

    private static (double X, double Y, double Z) Xyz(VoxelSize v) => (v.X, v.Y, v.Z);
}
