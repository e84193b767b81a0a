using EmAlign.Alignment;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign flow SRC DST`: measures the flow fields of a stack and saves them, as measured, as an alignment store.</summary>
internal sealed class FlowVerb : Verb
{
    public override string Name => "flow";

    public override string Summary => "measure section-to-section flow fields and save them (alignment store)";

    public override string Usage => $"""
        usage: emalign flow SRC DST [--levels 1,2] [--patch 160] [--stride 40] [--max-delta-z 2] [--level L] [--bbox] [--layer L] [--force]

        Measures the flow field of every section of SRC to its predecessor (or, past a damaged section, to one further
        back) at each downsampling factor of --levels, and saves them as measured, with peak statistics, to DST: a
        folder with alignment.json and one float32 Zarr v2 array (c, z, y, x) per factor, which Import-EmAlignmentState
        loads for Repair-FlowField, Merge-FlowField and Invoke-MeshRelaxation. DST is written under a temporary name and
        renamed when complete; an existing DST is replaced only with --force.
        Prints JSON: path, source, sections, factors, patch_size, stride, delta_z and valid_vectors (per section, finest
        factor), seconds.

          SRC, DST             the volume to measure (any format; datasets inside containers too) and the store to write
        {AlignmentArguments.Help}
          --force              replace an existing DST
        """;

    public override IReadOnlyCollection<string> ValueOptions => AlignmentArguments.ValueOptions;

    public override IReadOnlyCollection<string> Flags => [.. AlignmentArguments.Flags, "--force"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("SRC", "DST");
        var options = AlignmentArguments.Options(args);
        bool force = args.Flag("--force");
        string destination = args.Positionals[1];
        using var volume = AlignmentArguments.Open(args);
        var view = AlignmentArguments.View(volume, args, context);
        // Refuse an existing store now, not after the measuring.
        AtomicOutput.CheckDestination(destination, force, view.Path);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (flows, path) = WithProgress(context, progress =>
        {
            var measured = StackFlow.Measure(view, options, progress, context.Cancellation);
            return (measured, AlignmentStore.Save(measured, destination, force, progress, context.Cancellation));
        });
        JsonOutput.Write(context.Out, json =>
        {
            json.WriteString("path", path);
            json.WriteString("source", flows.SourcePath);
            json.WriteNumber("sections", flows.Sections);
            JsonOutput.Numbers(json, "factors", flows.Factors);
            json.WriteNumber("patch_size", flows.PatchSize);
            json.WriteNumber("stride", flows.Stride);
            JsonOutput.Numbers(json, "delta_z", flows.DeltaZ);
            JsonOutput.Numbers(json, "valid_vectors", Enumerable.Range(0, flows.Sections).Select(z => flows.ValidCount(0, z)));
            json.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
        });
        return 0;
    }
}
