using EmAlign.Formats;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign info PATH`: a volume's metadata as JSON, shapes in C order as stored.</summary>
internal sealed class InfoVerb : Verb
{
    public override string Name => "info";

    public override string Summary => "print a volume's metadata as JSON";

    public override string Usage => """
        usage: emalign info PATH [--layer L]

        Prints JSON: path, format, dtype (numpy name), shape and chunks (C order as stored: z,y,x or c,z,y,x),
        voxel_size and unit (z,y,x like shape), and per level its mag (x-y-z), shape and chunks.

          PATH         a TIFF file, a folder of TIFF slices, or a Zarr/N5 dataset (may be inside a container: data.n5/lowres)
          --layer L    the layer of a WEBKNOSSOS dataset
        """;

    public override IReadOnlyCollection<string> ValueOptions => ["--layer"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("PATH");
        using var volume = VolumeFormats.Open(args.Positionals[0], new VolumeOpenOptions { Layer = args.Value("--layer") });
        var level0 = volume.Levels[0].Array;
        var vs = volume.VoxelSize;
        JsonOutput.Write(context.Out, json =>
        {
            json.WriteString("path", new VolumeView(volume).Path);
            json.WriteString("format", volume.Format);
            json.WriteString("dtype", volume.DataType.Name());
            JsonOutput.Numbers(json, "shape", level0.Shape);
            JsonOutput.Numbers(json, "chunks", level0.ChunkShape);
            JsonOutput.Numbers(json, "voxel_size", new[] { vs.Z, vs.Y, vs.X });
            json.WriteString("unit", vs.Unit);
            json.WriteStartArray("levels");
            foreach (var level in volume.Levels)
            {
                json.WriteStartObject();
                json.WriteString("mag", level.Mag.ToString());
                JsonOutput.Numbers(json, "shape", level.Array.Shape);
                JsonOutput.Numbers(json, "chunks", level.Array.ChunkShape);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        });
        return 0;
    }
}
