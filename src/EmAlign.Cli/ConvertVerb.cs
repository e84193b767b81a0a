using EmAlign.Codecs;
using EmAlign.Formats;
using EmAlign.Formats.WebKnossos;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign convert SRC DST --format F`: copies a volume (one level of it) chunk by chunk into another format.</summary>
internal sealed class ConvertVerb : Verb
{
    public override string Name => "convert";

    public override string Summary => "copy a volume (or one level of it) into another format";

    public override string Usage => """
        usage: emalign convert SRC DST --format FORMAT [--codec CODEC] [--codec-level N] [--chunks z,y,x] [--shard z,y,x]
                               [--levels auto|none|MAGS] [--level L] [--layer L] [--out-layer NAME] [--category C]
                               [--data-format zarr3|wkw] [--mag M] [--force]

        Copies SRC into a new volume DST, block by block in whole destination chunks (memory stays bounded).
        DST is written under a temporary name and renamed when complete; an existing DST is replaced only
        with --force, once the new one is complete. Prints JSON: path, format, dtype, box (mag-1 voxels), bytes, seconds.

        --format webknossos writes SRC as a layer of the WEBKNOSSOS dataset DST (created when missing; an existing
        dataset keeps its other layers), computes the layer's coarser mags, and lists the layer in
        datasource-properties.json only once it is complete; the JSON adds layer and mags.
        --format ome-zarr is zarr3 with an OME-NGFF 0.5 pyramid (--levels auto unless given).

          SRC, DST          volumes or datasets inside containers (data.n5/lowres)
          --format FORMAT   output format: tiff, tiff-folder, zarr2, n5, zarr3, ome-zarr, webknossos, wkw
          --codec CODEC     none (default; webknossos: zstd for zarr3 layers, lz4 for wkw), zlib, gzip, zstd, lz4, lz4hc,
                            bz2, xz, blosc-lz4, blosc-zstd, ... (as far as the format stores it)
          --codec-level N   compression level, where the codec has one
          --chunks z,y,x    output chunk shape in C order (c,z,y,x with channels); default: the format's choice
          --shard z,y,x     shard shape (zarr3 sharding_indexed; wkw file size), a multiple of the chunks
          --levels M        coarser levels to compute: auto (WEBKNOSSOS' anisotropic schedule), none, or mags 2-2-1,4-4-2
                            (zarr2, n5, zarr3, ome-zarr: relative to the copy; webknossos: dataset mags);
                            default none, auto for ome-zarr and webknossos
          --level L         source level index to copy (0 = finest, the default)
          --layer L         the layer of a WEBKNOSSOS source dataset
          --out-layer NAME  webknossos: the new layer's name (default color)
          --category C      webknossos: color (default) or segmentation (downsampled by mode)
          --data-format F   webknossos: zarr3 (default, sharded) or wkw
          --mag M           webknossos: the dataset mag SRC's voxels are at (default: from the voxel sizes)
          --force           replace an existing DST (webknossos: an existing layer of that name)
        """;

    public override IReadOnlyCollection<string> ValueOptions =>
        ["--format", "--codec", "--codec-level", "--chunks", "--shard", "--levels", "--level", "--layer", "--out-layer", "--category", "--data-format", "--mag"];

    public override IReadOnlyCollection<string> Flags => ["--force"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("SRC", "DST");
        var format = args.OneOf("--format", [.. VolumeFormats.All.Select(f => f.Name), "ome-zarr"]) ?? throw new UsageException("missing --format");
        var codec = args.OneOf("--codec", [.. ChunkCodecs.Names, "lz4hc"]);
        var levels = DownsampleVerb.ParseMags(args.Value("--levels"), "--levels");
        int level = args.Int("--level", min: 0) ?? 0;
        // Every option is checked before the source is opened: bad usage is exit code 2 whatever the paths.
        var layerOptions = format == "webknossos" ? LayerOptions(args, codec, levels) : null;
        if (args.Value("--shard") is not null && format is not ("zarr3" or "ome-zarr" or "wkw" or "webknossos"))
            throw new UsageException($"--shard applies to zarr3, ome-zarr and wkw output, not {format}");
        var options = new CopyOptions
        {
            Format = format == "ome-zarr" ? "zarr3" : format,
            Codec = codec ?? "none",
            CodecLevel = args.Int("--codec-level"),
            ChunkShape = args.PositiveInts("--chunks", "z,y,x (or c,z,y,x)", 3, 4),
            ShardShape = args.PositiveInts("--shard", "z,y,x (or c,z,y,x)", 3, 4),
            Level = level,
            ExtraMags = levels ?? [],
            Force = args.Flag("--force"),
        };
        using var source = VolumeFormats.Open(args.Positionals[0], new VolumeOpenOptions { Layer = args.Value("--layer") });
        if (layerOptions is not null) return ToLayer(args, context, source, level, layerOptions);
        if (levels is null && (format == "ome-zarr" || args.Value("--levels") == "auto")) options = options with { ExtraMags = AutoMags(source, level) };
        var result = WithProgress(context, progress => VolumeCopier.Copy(source, args.Positionals[1], options, progress, context.Cancellation));
        JsonOutput.Write(context.Out, json =>
        {
            json.WriteString("path", result.Path);
            json.WriteString("format", result.Format);
            json.WriteString("dtype", result.DataType.Name());
            json.WriteStartObject("box");
            JsonOutput.BoxFields(json, result.Box);
            json.WriteEndObject();
            json.WriteNumber("bytes", result.Bytes);
            json.WriteNumber("seconds", Math.Round(result.Elapsed.TotalSeconds, 3));
        });
        return 0;
    }

    /// <summary>WEBKNOSSOS' anisotropic schedule for the copied level, relative to it.</summary>
    private static IReadOnlyList<Mag> AutoMags(EmVolume source, int level)
    {
        var l = source.Levels[level];
        var vs = source.VoxelSize == VoxelSize.Unknown ? new VoxelSize(1, 1, 1) : source.VoxelSize;
        vs = vs with { X = vs.X * l.Mag.X, Y = vs.Y * l.Mag.Y, Z = vs.Z * l.Mag.Z };
        return PyramidSchedule.Mags(vs, PyramidSchedule.DefaultCoarsest(l.Size.X, l.Size.Y));
    }

    private static AddLayerOptions LayerOptions(CliArguments args, string? codec, IReadOnlyList<Mag>? levels)
    {
        foreach (var unused in new[] { "--chunks", "--shard" })
            if (args.Value(unused) is not null) throw new UsageException($"{unused} does not apply to --format webknossos (layers use 32^3 chunks in 1024 x 1024 x 32 shards)");
        Mag? mag = args.Value("--mag") is { } m ? Mag.TryParse(m, out var parsed) ? parsed : throw new UsageException($"--mag '{m}' is not a mag such as 4-4-1") : null;
        return new AddLayerOptions
        {
            Name = args.Value("--out-layer") ?? WebKnossosFormat.DefaultLayerName,
            Category = args.OneOf("--category", ["color", "segmentation"]) ?? "color",
            DataFormat = args.OneOf("--data-format", ["zarr3", "wkw"]) ?? "zarr3",
            Codec = codec,
            CodecLevel = args.Int("--codec-level"),
            Mag = mag,
            // Dataset mags, as WEBKNOSSOS names its folders (4-4-1 written, 8-8-1 and 16-16-2 computed).
            Mags = levels,
            Force = args.Flag("--force"),
        };
    }

    private static int ToLayer(CliArguments args, CliContext context, EmVolume source, int level, AddLayerOptions options)
    {
        var result = WithProgress(context, progress => WebKnossosLayers.Add(source, level, null, args.Positionals[1], options, progress, context.Cancellation));
        JsonOutput.Write(context.Out, json =>
        {
            json.WriteString("path", result.Dataset);
            json.WriteString("format", "webknossos");
            json.WriteString("layer", result.Layer);
            json.WriteString("dtype", source.DataType.Name());
            json.WriteStartObject("box");
            JsonOutput.BoxFields(json, result.BoundingBox);
            json.WriteEndObject();
            json.WriteStartArray("mags");
            foreach (var x in result.Mags) json.WriteStringValue(x.ToString());
            json.WriteEndArray();
            json.WriteNumber("bytes", result.Bytes);
            json.WriteNumber("seconds", Math.Round(result.Elapsed.TotalSeconds, 3));
        });
        return 0;
    }
}
