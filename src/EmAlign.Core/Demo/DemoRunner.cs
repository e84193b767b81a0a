using System.Text.Json;
using EmAlign.Formats;
using EmAlign.Volumes;

namespace EmAlign.Demo;

/// <summary>
/// `emalign demo` and `build.ps1 demo`: synthesizes an EM-like stack with known per-section deformations,
/// writes it as Zarr v2, and finds its data bounding box.
/// </summary>
public static class DemoRunner
{
    /// <summary>Runs the demo into <paramref name="outDir"/> and returns a process exit code (0 ok).</summary>
    public static int Run(string outDir, TextWriter log, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(outDir);
        var demo = new DemoStack();
        string rawPath = Path.Combine(outDir, "raw.zarr");
        log.WriteLine($"Synthesizing {demo.Sections} sections of {demo.CanvasSize} x {demo.CanvasSize} px (tissue {demo.TissueSize} px, known shifts, rotations and elastic warps) -> {rawPath}");
        using (var raw = VolumeFormats.Create("zarr2", rawPath, new VolumeCreateOptions
        {
            DataType = DataType.UInt8,
            Shape = [demo.Sections, demo.CanvasSize, demo.CanvasSize],
            ChunkShape = [1, 256, 256],
            Codec = "zlib",
            VoxelSize = new VoxelSize(4, 4, 40, "nanometer"),
            Force = true,
        }))
        {
            demo.WriteTo(raw, progress, ct);
        }
        WriteGroundTruth(demo, Path.Combine(outDir, "ground-truth.json"));

        using var volume = VolumeFormats.Open(rawPath);
        var box = DataBoundingBoxFinder.Find(volume, new BoundingBoxOptions(), progress, ct).Box;
        log.WriteLine($"Data bounding box (mag-1 voxels): {box}  (tissue was placed at x, y {demo.Border}..{demo.Border + demo.TissueSize}, moved by up to 12 px)");
        return 0;
    }

    private static void WriteGroundTruth(DemoStack demo, string path)
    {
        var sections = demo.Deformations.Select((d, z) => new
        {
            z,
            shift_x = d.ShiftX,
            shift_y = d.ShiftY,
            rotation_degrees = d.RotationDegrees,
            elastic_amplitude = d.ElasticAmplitude,
            correlation_length = d.CorrelationLength,
        });
        File.WriteAllText(path, JsonSerializer.Serialize(new { border = demo.Border, tissue_size = demo.TissueSize, sections }, new JsonSerializerOptions { WriteIndented = true }));
    }
}
