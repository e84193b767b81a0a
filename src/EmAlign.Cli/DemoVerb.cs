using EmAlign.Demo;

namespace EmAlign.Cli;

/// <summary>`emalign demo`: the engine's end-to-end demo on synthetic data.</summary>
internal sealed class DemoVerb : Verb
{
    public override string Name => "demo";

    public override string Summary => "synthesize an EM stack, find its bounding box, align it and measure the residual";

    public override string Usage => """
        usage: emalign demo [--out DIR]

        Synthesizes an EM-like stack with known per-section deformations and writes it as Zarr v2 (raw.zarr) with its
        ground truth (ground-truth.json), reports its data bounding box, aligns it elastically (aligned.zarr) and prints
        the residual shifts against the known clean sections before and after alignment (median and 95th percentile).

          --out DIR   output folder (default: ./emalign-demo); raw.zarr and aligned.zarr there are replaced
        """;

    public override IReadOnlyCollection<string> ValueOptions => ["--out"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals();
        string outDir = Path.GetFullPath(args.Value("--out") ?? "emalign-demo");
        return WithProgress(context, progress => DemoRunner.Run(outDir, context.Out, progress, context.Cancellation));
    }
}
