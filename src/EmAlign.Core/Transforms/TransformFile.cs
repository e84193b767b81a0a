using System.Text.Json;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Transforms;

/// <summary>
/// Saves and loads transforms. Every kind is described by one JSON document ("type": affine, local_affines,
/// displacement_field or chain), always fixed → moving, x, y, z order, in the stated "unit". Affines carry
/// "matrix_xyz" (the 4x4, rows x, y, z, 1); local affines their block grid and one 3x4 per block (null where the block
/// was filled from neighbours); displacement fields their grid and the path (relative to the JSON) of a Zarr array of
/// shape (3, z, y, x) float32 holding the x, y and z components. A .zarr path of that shape loads directly as a field
/// (grid spacing and origin from its voxel size and offset).
/// </summary>
public static class TransformFile
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true };

    /// <summary>
    /// Writes <paramref name="transform"/> to the JSON file <paramref name="path"/> (fields also to "NAME.fieldK.zarr" beside it).
    /// Throws <see cref="OutputExistsException"/> when the file exists and <paramref name="force"/> is false.
    /// </summary>
    public static void Save(SpatialTransform transform, string path, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (File.Exists(full) && !force) throw new OutputExistsException(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        int fieldCount = 0;
        string temp = full + ".partial";
        using (var stream = File.Create(temp))
        using (var json = new Utf8JsonWriter(stream, WriterOptions))
            Write(json, transform, full, ref fieldCount, force);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>
    /// Writes the properties describing <paramref name="transform"/> ("type", "direction", "axes", "unit", the matrices...)
    /// into the JSON object being written, so callers can add their own fields beside them. Displacement fields need
    /// <see cref="Save"/> (their values go to a Zarr array).
    /// </summary>
    public static void WriteProperties(Utf8JsonWriter json, SpatialTransform transform)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(transform);
        int none = 0;
        WriteBody(json, transform, null, ref none, false);
    }

    /// <summary>Loads a transform from a JSON file written by <see cref="Save"/> (or by `emalign affine`), or a displacement field from a .zarr array.</summary>
    public static SpatialTransform Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return LoadField(full, null);
        if (!File.Exists(full)) throw new VolumeNotFoundException($"The transform file '{path}' does not exist: expected a JSON transform or a .zarr displacement field.", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(full)); }
        catch (JsonException e) { throw new InvalidVolumeException($"'{path}' is not a JSON transform: {e.Message}", path, e); }
        using (doc) return Read(doc.RootElement, full, path);
    }

    private static void Write(Utf8JsonWriter json, SpatialTransform transform, string? jsonPath, ref int fieldCount, bool force)
    {
        json.WriteStartObject();
        WriteBody(json, transform, jsonPath, ref fieldCount, force);
        json.WriteEndObject();
    }

    private static void WriteBody(Utf8JsonWriter json, SpatialTransform transform, string? jsonPath, ref int fieldCount, bool force)
    {
        json.WriteString("type", transform.Kind);
        if (transform is TransformChain chain)
        {
            json.WriteString("order", "the last transform acts first on fixed points");
            json.WriteStartArray("transforms");
            foreach (var t in chain.Items) Write(json, t, jsonPath, ref fieldCount, force);
            json.WriteEndArray();
            return;
        }
        json.WriteString("direction", "fixed_to_moving");
        json.WriteString("axes", "xyz");
        json.WriteString("unit", transform.Unit);
        switch (transform)
        {
            case AffineTransform3D a:
                WriteMatrix(json, "matrix_xyz", a);
                break;
            case LocalAffineTransform l:
                WriteGrid(json, l.Grid);
                WriteTriple(json, "block_size", l.BlockSize.X, l.BlockSize.Y, l.BlockSize.Z);
                WriteTriple(json, "overlap", l.Overlap.X, l.Overlap.Y, l.Overlap.Z);
                WriteTriple(json, "blocks", l.BlockCounts.X, l.BlockCounts.Y, l.BlockCounts.Z);
                json.WriteStartArray("matrices_xyz");
                int b = 0;
                for (int bz = 0; bz < l.BlockCounts.Z; bz++)
                    for (int by = 0; by < l.BlockCounts.Y; by++)
                        for (int bx = 0; bx < l.BlockCounts.X; bx++, b++)
                        {
                            if (l.Estimated[b]) json.WriteRawValue(Row(l.BlockAffine(bx, by, bz).GetParameters()));
                            else json.WriteNullValue();
                        }
                json.WriteEndArray();
                break;
            case DisplacementField f:
                if (jsonPath is null) throw new EmAlignException("A displacement field is saved as a Zarr array beside its JSON file: save it with a path.", "transform");
                WriteGrid(json, f.Grid);
                string name = $"{Path.GetFileNameWithoutExtension(jsonPath)}.field{++fieldCount}.zarr";
                SaveField(f, Path.Combine(Path.GetDirectoryName(jsonPath) ?? ".", name), force);
                json.WriteString("path", name);
                json.WriteString("layout", "(3, z, y, x) float32; components x, y, z");
                break;
            default:
                throw new EmAlignException($"Transforms of kind '{transform.Kind}' cannot be saved.", "transform");
        }
    }

    /// <summary>Writes a field as a (3, z, y, x) float32 Zarr v2 array with the grid as voxel size and offset.</summary>
    public static void SaveField(DisplacementField field, string path, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(field);
        var g = field.Grid;
        int cz = (int)Math.Min(g.SizeZ, 64), cy = (int)Math.Min(g.SizeY, 128), cx = (int)Math.Min(g.SizeX, 128);
        using var v = VolumeFormats.Create("zarr2", path, new VolumeCreateOptions
        {
            DataType = DataType.Float32,
            Shape = [3, g.SizeZ, g.SizeY, g.SizeX],
            ChunkShape = [3, cz, cy, cx],
            Codec = "zlib",
            VoxelSize = new VoxelSize(g.SpacingX, g.SpacingY, g.SpacingZ, g.Unit),
            Offset = (g.OriginX, g.OriginY, g.OriginZ),
            Force = force,
            Cache = new ChunkCache(0),
        });
        var data = new float[3 * g.VoxelCount];
        field.Ux.CopyTo(data, 0);
        field.Uy.CopyTo(data, g.VoxelCount);
        field.Uz.CopyTo(data, 2 * g.VoxelCount);
        v.Write<float>(0, Box3.FromSize(g.SizeX, g.SizeY, g.SizeZ), data);
        v.Flush();
    }

    private static DisplacementField LoadField(string path, VoxelGrid? grid)
    {
        using var v = VolumeFormats.Open(path);
        var (sx, sy, sz) = v.Levels[0].Size;
        if (!v.HasChannelAxis || v.Channels != 3)
            throw new InvalidVolumeException($"'{path}' is not a displacement field: expected an array of shape (3, z, y, x); found {v.Channels} channel(s) of {sx}x{sy}x{sz}.", path);
        grid ??= new VoxelGrid(sx, sy, sz, v.VoxelSize.X, v.VoxelSize.Y, v.VoxelSize.Z, v.Offset.X, v.Offset.Y, v.Offset.Z, v.VoxelSize.Unit);
        if (grid.SizeX != sx || grid.SizeY != sy || grid.SizeZ != sz)
            throw new InvalidVolumeException($"The field '{path}' is {sx}x{sy}x{sz}; its transform file describes a grid of {grid.SizeX}x{grid.SizeY}x{grid.SizeZ}.", path);
        var all = v.ReadSingle(0, Box3.FromSize(sx, sy, sz));
        long n = grid.VoxelCount;
        return new DisplacementField(grid, all[..(int)n], all[(int)n..(int)(2 * n)], all[(int)(2 * n)..]);
    }

    private static SpatialTransform Read(JsonElement e, string jsonPath, string shownPath)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad(shownPath, "a JSON object");
        string type = e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!
            : e.TryGetProperty("matrix_xyz", out _) ? "affine" : throw Bad(shownPath, "a \"type\" (affine, local_affines, displacement_field or chain)");
        if (type == "chain")
        {
            if (!e.TryGetProperty("transforms", out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() == 0)
                throw Bad(shownPath, "a non-empty \"transforms\" array in the chain");
            return new TransformChain([.. items.EnumerateArray().Select(i => Read(i, jsonPath, shownPath))]);
        }
        if (e.TryGetProperty("direction", out var dir) && dir.GetString() != "fixed_to_moving")
            throw Bad(shownPath, $"\"direction\": \"fixed_to_moving\" (found \"{dir}\"; invert the transform first)");
        if (e.TryGetProperty("axes", out var axes) && axes.GetString() != "xyz")
            throw Bad(shownPath, $"\"axes\": \"xyz\" (found \"{axes}\")");
        string unit = e.TryGetProperty("unit", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : throw Bad(shownPath, "a \"unit\" string");
        switch (type)
        {
            case "affine":
            {
                var rows = Numbers(e, "matrix_xyz", shownPath, nested: true);
                if (rows.Length is not (12 or 16)) throw Bad(shownPath, $"\"matrix_xyz\" as 3 or 4 rows of 4 numbers (found {rows.Length} numbers)");
                return new AffineTransform3D(rows, unit);
            }
            case "local_affines":
            {
                var grid = ReadGrid(e, unit, shownPath);
                var bs = Ints(e, "block_size", shownPath);
                var ov = Ints(e, "overlap", shownPath);
                if (!e.TryGetProperty("matrices_xyz", out var ms) || ms.ValueKind != JsonValueKind.Array) throw Bad(shownPath, "a \"matrices_xyz\" array");
                var affines = new List<AffineTransform3D?>();
                foreach (var m in ms.EnumerateArray())
                {
                    if (m.ValueKind == JsonValueKind.Null) { affines.Add(null); continue; }
                    var p = m.ValueKind == JsonValueKind.Array ? m.EnumerateArray().Select(x => x.GetDouble()).ToArray() : [];
                    if (p.Length != 12) throw Bad(shownPath, "12 numbers (a 3x4 matrix) or null per block in \"matrices_xyz\"");
                    affines.Add(new AffineTransform3D(p, unit));
                }
                return new LocalAffineTransform(grid, (bs[0], bs[1], bs[2]), (ov[0], ov[1], ov[2]), affines);
            }
            case "displacement_field":
            {
                var grid = ReadGrid(e, unit, shownPath);
                string rel = e.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : throw Bad(shownPath, "a \"path\" to the field's Zarr array");
                return LoadField(Path.Combine(Path.GetDirectoryName(jsonPath) ?? ".", rel), grid);
            }
            default:
                throw Bad(shownPath, $"a known \"type\" (affine, local_affines, displacement_field or chain), not \"{type}\"");
        }
    }

    private static VoxelGrid ReadGrid(JsonElement e, string unit, string shownPath)
    {
        if (!e.TryGetProperty("grid", out var g) || g.ValueKind != JsonValueKind.Object) throw Bad(shownPath, "a \"grid\" object (size, spacing, origin)");
        var size = Numbers(g, "size", shownPath);
        var spacing = Numbers(g, "spacing", shownPath);
        var origin = Numbers(g, "origin", shownPath);
        if (size.Length != 3 || spacing.Length != 3 || origin.Length != 3 || size.Any(s => s < 1 || s != Math.Floor(s)) || spacing.Any(s => !(s > 0)))
            throw Bad(shownPath, "grid size (3 positive integers), spacing (3 positive numbers) and origin (3 numbers), x, y, z");
        return new VoxelGrid((long)size[0], (long)size[1], (long)size[2], spacing[0], spacing[1], spacing[2], origin[0], origin[1], origin[2], unit);
    }

    private static int[] Ints(JsonElement e, string name, string shownPath)
    {
        var v = Numbers(e, name, shownPath);
        if (v.Length != 3 || v.Any(x => x != Math.Floor(x) || x < 0 || x > int.MaxValue)) throw Bad(shownPath, $"\"{name}\" as 3 non-negative integers, x, y, z");
        return [.. v.Select(x => (int)x)];
    }

    private static double[] Numbers(JsonElement e, string name, string shownPath, bool nested = false)
    {
        if (!e.TryGetProperty(name, out var a) || a.ValueKind != JsonValueKind.Array) throw Bad(shownPath, $"a \"{name}\" array");
        try
        {
            return nested ? [.. a.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetDouble())] : [.. a.EnumerateArray().Select(x => x.GetDouble())];
        }
        catch (InvalidOperationException) { throw Bad(shownPath, $"numbers in \"{name}\""); }
    }

    private static InvalidVolumeException Bad(string path, string expected) =>
        new($"The transform file '{path}' is not valid: expected {expected}.", path);

    private static void WriteMatrix(Utf8JsonWriter json, string name, AffineTransform3D a)
    {
        json.WriteStartArray(name);
        var m = a.ToMatrix4x4();
        for (int r = 0; r < 4; r++) json.WriteRawValue(Row(m.AsSpan(4 * r, 4)));
        json.WriteEndArray();
    }

    private static void WriteGrid(Utf8JsonWriter json, VoxelGrid g)
    {
        json.WriteStartObject("grid");
        WriteTriple(json, "size", g.SizeX, g.SizeY, g.SizeZ);
        WriteTriple(json, "spacing", g.SpacingX, g.SpacingY, g.SpacingZ);
        WriteTriple(json, "origin", g.OriginX, g.OriginY, g.OriginZ);
        json.WriteEndObject();
    }

    private static void WriteTriple(Utf8JsonWriter json, string name, double x, double y, double z)
    {
        json.WritePropertyName(name);
        json.WriteRawValue(Row([x, y, z]));
    }

    /// <summary>A number array on one line (round-trip precision), so matrices read as rows.</summary>
    private static string Row(ReadOnlySpan<double> values)
    {
        var parts = new string[values.Length];
        for (int i = 0; i < values.Length; i++) parts[i] = values[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return $"[{string.Join(", ", parts)}]";
    }
}
