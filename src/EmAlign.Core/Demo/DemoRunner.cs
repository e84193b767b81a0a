using System.Text.Json;
using EmAlign.Alignment;
using EmAlign.Formats;
using EmAlign.Quality;
using EmAlign.Volumes;

namespace EmAlign.Demo;

/// <summary>
/// `emalign demo` and `build.ps1 demo`: synthesizes an EM-like stack with known per-section deformations,
/// writes it as Zarr v2, finds its data bounding box, aligns it elastically and measures what is left of the
/// known deformations.
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

        string alignedPath = Path.Combine(outDir, "aligned.zarr");
        // Every section holds tissue, so the box spans them all; the z range is kept whole so sections match the truth by index.
        var run = ElasticAlignment.Run(new VolumeView(volume, 0, box with { Z = 0, SizeZ = demo.Sections }), alignedPath, new ElasticAlignmentOptions(),
            new RenderOptions { Format = "zarr2", Codec = "zlib", Force = true }, progress, ct);
        log.WriteLine(FormattableString.Invariant($"Elastic alignment (flows at 1x and 2x, mesh, one refinement pass, Lanczos rendering) -> {alignedPath}: {run.Render.Sections.Count} sections in {run.Elapsed.TotalSeconds:0.0} s, {run.Render.FailedSections} flagged"));

        // The demo knows the truth: aligned section z should be clean section z where section 0 (undeformed) put it.
        var compared = Enumerable.Range(1, demo.Sections - 1).ToList();
        using var reference = demo.CleanReference();
        using var aligned = VolumeFormats.Open(alignedPath);
        var before = ResidualShifts.Summarize(ResidualShifts.Measure(volume, reference, ResidualPatch, compared, ct));
        var after = ResidualShifts.Summarize(ResidualShifts.Measure(aligned, reference, ResidualPatch, compared, ct));
        log.WriteLine(FormattableString.Invariant($"Residual against the known deformations ({ResidualPatch} px patches, sections 1..{compared.Count}): ")
            + FormattableString.Invariant($"median {before.Median:0.00} px, p95 {before.P95:0.00} px before alignment; median {after.Median:0.00} px, p95 {after.P95:0.00} px after"));
        return 0;
    }

    private const int ResidualPatch = 128;

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
