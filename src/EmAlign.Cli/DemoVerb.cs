using EmAlign.Demo;

namespace EmAlign.Cli;

/// <summary>`emalign demo`: the engine's end-to-end demo on synthetic data.</summary>
internal sealed class DemoVerb : Verb
{
    public override string Name => "demo";

    public override string Summary => "synthesize an EM stack, write it as Zarr and find its bounding box";

    public override string Usage => """
        usage: emalign demo [--out DIR]

        Synthesizes an EM-like stack with known per-section deformations, writes it as Zarr v2 with its ground
        truth, and reports its data bounding box.

          --out DIR   output folder (default: ./emalign-demo)
        """;

    public override IReadOnlyCollection<string> ValueOptions => ["--out"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals();
        string outDir = Path.GetFullPath(args.Value("--out") ?? "emalign-demo");
        return WithProgress(context, progress => DemoRunner.Run(outDir, context.Out, progress, context.Cancellation));
    }
}
