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
/// .zgroup for every parent group, funlib attributes on every array and OME-NGFF 0.4 on pyramids.
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
        var shape = options.Shape.ToArray();
        int rank = shape.Length;
        if (rank is not (3 or 4) || shape.Any(s => s < 1))
            throw new EmAlignException($"Shape [{string.Join(", ", shape)}] cannot be created: expected (z, y, x) or (c, z, y, x) with sizes >= 1.", "Shape");
        var chunks = options.ChunkShape?.ToArray() ?? DefaultChunks(shape);
        if (chunks.Length != rank || chunks.Any(c => c < 1))
            throw new EmAlignException($"Chunk shape [{string.Join(", ", chunks)}] does not fit shape [{string.Join(", ", shape)}]: expected {rank} sizes >= 1.", "ChunkShape");
        CheckFill(options.FillValue, options.DataType);
        var compressor = Numcodecs.ToJson(ChunkCodecs.Create(options.Codec, options.Level));
        var roles = AxisRoles.Default(rank, path);
        var mags = LevelMags(options.ExtraMags);

        // Build every array object first: it validates the layout and codec before anything touches the disk.
        var plan = new List<(string Dir, Mag Mag, ZarrArray Array)>();
        for (int k = 0; k < mags.Count; k++)
        {
            var dir = mags.Count == 1 ? path : Path.Combine(path, $"s{k}");
            var meta = new ZarrArrayMetadata(LevelShape(shape, mags[k]), chunks, options.DataType, false, compressor, options.FillValue, false, '.');
            plan.Add((dir, mags[k], new ZarrArray(dir, meta, roles, writable: true)));
        }

        RemoveExisting(path, options.Force);
        var written = new List<string>();
        var root = ZarrHierarchy.PrepareParents(path, written);
        if (mags.Count > 1) ZarrHierarchy.WriteGroup(path, written);
        foreach (var (dir, mag, array) in plan)
        {
            Directory.CreateDirectory(dir);
            var attrs = new JsonObject();
            var vs = options.VoxelSize;
            FunlibAttributes.Write(attrs, roles, vs with { X = vs.X * mag.X, Y = vs.Y * mag.Y, Z = vs.Z * mag.Z }, options.Offset);
            ZarrHierarchy.WriteJson(Path.Combine(dir, ZarrHierarchy.AttrsFile), attrs, written);
            // .zarray last: the array exists for readers only once its metadata is complete.
            ZarrHierarchy.WriteJson(Path.Combine(dir, ZarrHierarchy.ArrayFile), array.Metadata.ToJson(), written);
        }
        if (mags.Count > 1)
        {
            var ms = OmeNgff.Write04(Path.GetFileNameWithoutExtension(path), roles, options.VoxelSize, options.Offset,
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
        CheckLevels(levels, attrsFile);
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
                mag = RatioMag(info0.VoxelSize, info.VoxelSize, name, path);
            else mag = MagFromShapes(levels[0], array, name, path);
            levels.Add(new VolumeLevel(mag, array));
        }
        CheckLevels(levels, path);
        var vs = info0?.VoxelSize ?? VoxelSize.Unknown;
        var level0Mag = levels[0].Mag;
        // A WEBKNOSSOS-named pyramid may start above mag 1; the voxel size is that of mag 1.
        if (!level0Mag.IsOne) vs = vs with { X = vs.X / level0Mag.X, Y = vs.Y / level0Mag.Y, Z = vs.Z / level0Mag.Z };
        return new EmVolume(root, Name, dataset, levels, vs, options.Cache, info0?.Offset);
    }

    private static Mag MagFromShapes(VolumeLevel fine, IChunkedArray coarse, string level, string source) =>
        Pyramids.MagFromShapes(fine.Size, (coarse.Shape[^1], coarse.Shape[^2], coarse.Shape[^3]), level, source);

    private static Mag RatioMag(VoxelSize fine, VoxelSize coarse, string level, string source)
    {
        int F(double a, double b, char axis)
        {
            double r = b / a, m = Math.Round(r);
            if (!(m >= 1) || Math.Abs(r - m) > 1e-3 * m)
                throw new InvalidVolumeException($"'{source}': level '{level}' has voxel size {b:g6} along {axis} against {a:g6} at the finest level; expected a whole multiple.", source);
            return (int)m;
        }
        return new Mag(F(fine.X, coarse.X, 'x'), F(fine.Y, coarse.Y, 'y'), F(fine.Z, coarse.Z, 'z'));
    }

    private static void CheckLevels(List<VolumeLevel> levels, string source)
    {
        var a0 = levels[0].Array;
        foreach (var l in levels.Skip(1))
        {
            var a = l.Array;
            if (a.DataType != a0.DataType || a.Shape.Count != a0.Shape.Count || (a.Shape.Count == 4 && a.Shape[0] != a0.Shape[0]))
                throw new InvalidVolumeException(
                    $"'{source}': level '{a.Path}' holds {a.DataType.Name()} [{string.Join(", ", a.Shape)}] but the finest level {a0.DataType.Name()} [{string.Join(", ", a0.Shape)}]; expected the same type and channels.", source);
        }
    }

    /// <summary>Without Force an existing path is an error; with Force a Zarr node (or empty folder) there is deleted first.</summary>
    private static void RemoveExisting(string path, bool force)
    {
        if (!Directory.Exists(path) && !File.Exists(path)) return;
        if (!force) throw new OutputExistsException(path);
        bool zarrNode = ZarrHierarchy.IsArray(path) || ZarrHierarchy.IsGroup(path);
        if (File.Exists(path) || (!zarrNode && Directory.EnumerateFileSystemEntries(path).Any()))
            throw new InvalidVolumeException($"'{path}' exists and is not a Zarr array or group; -Force replaces only Zarr datasets, so remove it yourself if it is meant to go.", path);
        FileStore.DeleteTree(path);
    }

    /// <summary>Chunks of up to 64 voxels per spatial axis, all channels together.</summary>
    private static int[] DefaultChunks(long[] shape) =>
        [.. shape.Select((s, i) => (int)Math.Min(s, shape.Length == 4 && i == 0 ? s : 64))];

    private static List<Mag> LevelMags(IReadOnlyList<Mag> extra)
    {
        var mags = new List<Mag> { Mag.One };
        foreach (var m in extra)
        {
            if (m.X < 1 || m.Y < 1 || m.Z < 1) throw new EmAlignException($"Mag {m} is not a downsampling factor: expected factors >= 1.", "ExtraMags");
            if (!mags.Contains(m)) mags.Add(m);
        }
        return mags;
    }

    /// <summary>Shape of a level: spatial sizes divided by the mag, rounded up; channels kept.</summary>
    private static long[] LevelShape(long[] shape, Mag mag)
    {
        var r = (long[])shape.Clone();
        r[^1] = Box3.CeilDiv(shape[^1], mag.X);
        r[^2] = Box3.CeilDiv(shape[^2], mag.Y);
        r[^3] = Box3.CeilDiv(shape[^3], mag.Z);
        return r;
    }

    private static void CheckFill(double fill, DataType type)
    {
        if (type.IsFloat()) return;
        double lo = type.IsSigned() ? -Math.Pow(2, 8 * type.Size() - 1) : 0, hi = Math.Pow(2, 8 * type.Size() - (type.IsSigned() ? 1 : 0)) - 1;
        if (double.IsNaN(fill) || fill != Math.Floor(fill) || fill < lo || fill > hi)
            throw new EmAlignException($"Fill value {fill} does not fit {type.Name()}: expected a whole number in [{lo}, {hi}].", "FillValue");
    }
}
