using EmAlign.Codecs;
using EmAlign.Formats;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign convert SRC DST --format F`: copies a volume (one level of it) chunk by chunk into another format.</summary>
internal sealed class ConvertVerb : Verb
{
    public override string Name => "convert";

    public override string Summary => "copy a volume (or one level of it) into another format";

    public override string Usage => """
        usage: emalign convert SRC DST --format FORMAT [--codec CODEC] [--codec-level N] [--chunks z,y,x] [--level L] [--layer L] [--force]

        Copies SRC into a new volume DST, block by block in whole destination chunks (memory stays bounded).
        DST is written under a temporary name and renamed when complete; an existing DST is replaced only
        with --force, once the new one is complete. Prints JSON: path, format, dtype, box (mag-1 voxels), bytes, seconds.

          SRC, DST          volumes or datasets inside containers (data.n5/lowres)
          --format FORMAT   output format: tiff, tiff-folder, zarr2, n5 (as far as this build registers them)
          --codec CODEC     none (default), zlib, gzip, lz4, bz2, blosc-lz4, blosc-zlib, blosc-blosclz (as far as known)
          --codec-level N   compression level, where the codec has one
          --chunks z,y,x    output chunk shape in C order (c,z,y,x with channels); default: the format's choice
          --level L         source level index to copy (0 = finest, the default)
          --layer L         the layer of a WEBKNOSSOS dataset
          --force           replace an existing DST
        """;

    public override IReadOnlyCollection<string> ValueOptions => ["--format", "--codec", "--codec-level", "--chunks", "--level", "--layer"];

    public override IReadOnlyCollection<string> Flags => ["--force"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("SRC", "DST");
        var options = new CopyOptions
        {
            Format = args.OneOf("--format", VolumeFormats.All.Select(f => f.Name)) ?? throw new UsageException("missing --format"),
            Codec = args.OneOf("--codec", ChunkCodecs.Names) ?? "none",
            CodecLevel = args.Int("--codec-level"),
            ChunkShape = args.PositiveInts("--chunks", "z,y,x (or c,z,y,x)", 3, 4),
            Level = args.Int("--level", min: 0) ?? 0,
            Force = args.Flag("--force"),
        };
        using var source = VolumeFormats.Open(args.Positionals[0], new VolumeOpenOptions { Layer = args.Value("--layer") });
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
}
