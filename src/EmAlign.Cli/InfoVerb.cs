using EmAlign.Formats;
using EmAlign.Formats.WebKnossos;
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
        voxel_size and unit (z,y,x like shape), and per level its mag (x-y-z), shape and chunks. For a WEBKNOSSOS
        dataset also its layers: name, category, data_format, element_class, dtype, channels, bounding_box (mag-1
        voxels) and mags, each with its folder and whether that folder is present (a listed mag may be missing).

          PATH         a TIFF file, a folder of TIFF slices, a Zarr v2/v3 or N5 dataset (may be inside a container:
                       data.n5/lowres), a WKW folder, or a WEBKNOSSOS dataset
          --layer L    the layer of a WEBKNOSSOS dataset
        """;

    public override IReadOnlyCollection<string> ValueOptions => ["--layer"];

    /// <summary>A WEBKNOSSOS dataset's layers: name, category, format, type, box and each mag with whether its folder exists.</summary>
    private static void Layers(System.Text.Json.Utf8JsonWriter json, string dataset)
    {
        var props = WebKnossosDataset.Read(dataset);
        json.WriteStartArray("layers");
        foreach (var layer in props.Layers)
        {
            json.WriteStartObject();
            json.WriteString("name", layer.Name);
            json.WriteString("category", layer.Category);
            json.WriteString("data_format", layer.DataFormat);
            json.WriteString("element_class", layer.ElementClass);
            json.WriteString("dtype", layer.DataType.Name());
            json.WriteNumber("channels", layer.Channels);
            json.WriteStartObject("bounding_box");
            JsonOutput.BoxFields(json, layer.BoundingBox);
            json.WriteEndObject();
            json.WriteStartArray("mags");
            foreach (var m in layer.Mags)
            {
                json.WriteStartObject();
                json.WriteString("mag", m.Mag.ToString());
                json.WriteString("path", WebKnossosDataset.MagFolder(dataset, layer, m, props.File));
                json.WriteBoolean("present", WebKnossosDataset.MagExists(dataset, layer, m, props.File));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

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
            if (volume.Format == "webknossos") Layers(json, volume.Path);
        });
        return 0;
    }
}
