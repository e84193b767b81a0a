using System.Globalization;
using System.Text.Json;
using EmAlign.Alignment;
using EmAlign.Codecs;
using EmAlign.Formats;
using EmAlign.Volumes;
using EmAlign.Warp;

namespace EmAlign.Cli;

/// <summary>`emalign align-elastic SRC DST`: the whole SOFIMA-style elastic alignment of a section stack in one run.</summary>
internal sealed class AlignElasticVerb : Verb
{
    /// <summary>--interpolation names and the kernels they stand for.</summary>
    private static readonly Dictionary<string, WarpInterpolation> Interpolations = new(StringComparer.Ordinal)
    {
        ["lanczos"] = WarpInterpolation.Lanczos4,
        ["lanczos3"] = WarpInterpolation.Lanczos3,
        ["cubic"] = WarpInterpolation.Cubic,
        ["linear"] = WarpInterpolation.Linear,
        ["nearest"] = WarpInterpolation.Nearest,
    };

    public override string Name => "align-elastic";

    public override string Summary => "align a section stack elastically (flows, mesh, rendering) into a new volume";

    public override string Usage => $"""
        usage: emalign align-elastic SRC DST [--levels 1,2] [--patch 160] [--stride 40] [--level L] [--bbox] [--refine N]
                                     [--k0 K0] [--k K]
                                     [--format FORMAT] [--codec CODEC] [--interpolation lanczos] [--crop] [--report FILE.json] [--force]

        Aligns the sections of SRC to each other as SOFIMA does: flow fields at each factor of --levels (cleaned, then
        merged), an elastic mesh relaxed section by section, and rendering of every section through its inverse map at
        full resolution. --refine passes (default 1) then measure the flows again between sections warped by the solution
        so far and compose the solve on them (not part of SOFIMA: it recovers known deformations about a third more
        exactly). DST has SRC's shape and section 0's frame (--crop: only the aligned region, e.g. the --bbox
        box). It is written under a temporary name and renamed when complete; an existing DST is replaced only with
        --force. Prints one line: sections, output, worst residual, flagged sections and time. Flagged sections (few
        flow vectors, large residual, aligned past a lost neighbour) are listed on stderr; they do not change the exit
        code.

          SRC, DST             the stack to align (any format) and the volume to write
        {AlignmentArguments.Help}
          --refine N           refinement passes after the first solve, 0 to 5 (default 1; 0 is SOFIMA's workflow)
          --k0 K0, --k K       mesh springs: the pull of each node toward its flow target, and between neighbouring
                               nodes (defaults 0.01 and 0.1, SOFIMA's em_2d). A larger k0 follows the flows more
                               closely, a larger k keeps each section stiffer. Following closely suits sections that
                               share their content (e.g. repeated imaging), not real neighbours, whose flows also
                               follow what changes between sections
          --format FORMAT      output format: zarr2 (default), n5, tiff, tiff-folder (as far as this build registers them)
          --codec CODEC        none (default), zlib, gzip, lz4, bz2, blosc-lz4, ... (as far as known)
          --interpolation I    lanczos (default, Lanczos-4), lanczos3, cubic, linear or nearest (labels)
          --crop               write only the aligned region (the --bbox box), not SRC's whole frame
          --report FILE.json   write per-section quality: z, delta_z, flow_vectors, residual_median, residual_p95
                               (working-level pixels), ncc_before, ncc_after, status
          --force              replace an existing DST (and report)
        """;

    public override IReadOnlyCollection<string> ValueOptions =>
        [.. AlignmentArguments.ValueOptions, "--refine", "--k0", "--k", "--format", "--codec", "--interpolation", "--report"];

    public override IReadOnlyCollection<string> Flags => [.. AlignmentArguments.Flags, "--crop", "--force"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("SRC", "DST");
        var options = AlignmentArguments.Options(args);
        options = options with
        {
            RefinePasses = args.Int("--refine", min: 0) ?? options.RefinePasses,
            Mesh = options.Mesh with { K0 = args.Double("--k0", min: 0) ?? options.Mesh.K0, K = args.Double("--k", min: 0) ?? options.Mesh.K },
        };
        options.Validate();
        bool force = args.Flag("--force");
        var render = new RenderOptions
        {
            Format = args.OneOf("--format", VolumeFormats.All.Select(f => f.Name)) ?? "zarr2",
            Codec = args.OneOf("--codec", ChunkCodecs.Names) ?? "none",
            Interpolation = args.OneOf("--interpolation", Interpolations.Keys) is { } i ? Interpolations[i] : options.Interpolation,
            Crop = args.Flag("--crop"),
            Force = force,
        };
        string? report = args.Value("--report");
        if (report is not null) AtomicOutput.CheckDestination(report, force, null);
        using var volume = AlignmentArguments.Open(args);
        var view = AlignmentArguments.View(volume, args, context);
        var result = WithProgress(context, progress => ElasticAlignment.Run(view, args.Positionals[1], options, render, progress, context.Cancellation));
        var r = result.Render;
        if (report is not null)
            AtomicOutput.Write(report, force, null, temp =>
            {
                using var file = new StreamWriter(temp);
                WriteReport(file, view, result);
                return temp;
            });
        foreach (var s in r.Sections.Where(s => s.Status is not ("ok" or "reference")))
            context.Err.WriteLine(Invariant($"emalign: warning: section {s.Z}: {s.Status} ({s.FlowVectors} flow vectors, residual p95 {s.ResidualP95:0.00} px, delta_z {s.DeltaZ})"));
        context.Out.WriteLine(Invariant(
            $"aligned {r.Sections.Count} sections -> {r.Path} ({r.Format}, {r.Box.SizeX} x {r.Box.SizeY} x {r.Box.SizeZ}): worst residual p95 {result.Solution.WorstResidual:0.00} px, {r.FailedSections} flagged, {result.Elapsed.TotalSeconds:0.0} s"));
        return 0;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The --report JSON: the run, then one object per section (NaN as null).</summary>
    private static void WriteReport(TextWriter output, VolumeView view, ElasticAlignmentResult result)
    {
        var r = result.Render;
        JsonOutput.Write(output, json =>
        {
            json.WriteString("source", view.Path);
            json.WriteString("path", r.Path);
            json.WriteString("format", r.Format);
            json.WriteStartObject("box");
            JsonOutput.BoxFields(json, r.Box);
            json.WriteEndObject();
            json.WriteNumber("flagged_sections", r.FailedSections);
            json.WriteNumber("seconds", Math.Round(result.Elapsed.TotalSeconds, 3));
            json.WriteStartArray("sections");
            foreach (var s in r.Sections)
            {
                json.WriteStartObject();
                json.WriteNumber("z", s.Z);
                json.WriteNumber("delta_z", s.DeltaZ);
                json.WriteNumber("flow_vectors", s.FlowVectors);
                Number(json, "residual_median", s.ResidualMedian);
                Number(json, "residual_p95", s.ResidualP95);
                Number(json, "ncc_before", s.NccBefore);
                Number(json, "ncc_after", s.NccAfter);
                json.WriteString("status", s.Status);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        });
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, Math.Round(value, 4));
        else json.WriteNull(name);
    }
}
