namespace EmAlign.Cli.Tests;

public class UsageTests
{
    [Fact]
    public void HelpListsEveryVerbOnStdout()
    {
        var r = CliRun.Of("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var verb in new[] { "info", "convert", "bbox", "flow", "align-elastic", "demo" }) Assert.Contains($"  {verb} ", r.Out);
        Assert.Empty(r.Err);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("convert")]
    [InlineData("bbox")]
    [InlineData("flow")]
    [InlineData("align-elastic")]
    [InlineData("demo")]
    public void VerbHelpPrintsItsUsage(string verb)
    {
        var r = CliRun.Of(verb, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith($"usage: emalign {verb}", r.Out);
    }

    [Fact]
    public void VersionIsTheBuildVersion()
    {
        var r = CliRun.Of("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"emalign {typeof(CommandLine).Assembly.GetName().Version!.ToString(3)}", r.Out.Trim());
    }

    [Theory]
    [InlineData("missing verb")]
    [InlineData("unknown verb 'frobnicate'", "frobnicate")]
    [InlineData("missing PATH", "info")]
    [InlineData("unexpected argument 'b'", "info", "a", "b")]
    [InlineData("unknown option '--levle'", "bbox", "x", "--levle", "1")]
    [InlineData("--level needs a value", "bbox", "x", "--level")]
    [InlineData("--level '-1' is not a non-negative integer", "bbox", "x", "--level", "-1")]
    [InlineData("--sigma 'wide' is not a number", "bbox", "x", "--sigma", "wide")]
    [InlineData("missing DST", "convert", "a")]
    [InlineData("missing --format", "convert", "a", "b")]
    [InlineData("--format 'jpeg' is not known: expected one of", "convert", "a", "b", "--format", "jpeg")]
    [InlineData("--codec 'zip' is not known: expected one of none", "convert", "a", "b", "--format=test-folder", "--codec", "zip")]
    [InlineData("--chunks '16,256' has 2 values: expected z,y,x", "convert", "a", "b", "--format=test-folder", "--chunks", "16,256")]
    [InlineData("--chunks '0,1,1' is not a list of positive integers", "convert", "a", "b", "--format=test-folder", "--chunks=0,1,1")]
    [InlineData("--format is given twice", "convert", "a", "b", "--format=x", "--format=y")]
    [InlineData("unknown option '--force=yes'", "convert", "a", "b", "--force=yes")]
    [InlineData("missing DST", "flow", "a")]
    [InlineData("--levels '0,2' is not a list of positive integers downsampling factors such as 1,2", "flow", "a", "b", "--levels", "0,2")]
    [InlineData("--patch 'big' is not a positive integer", "flow", "a", "b", "--patch", "big")]
    [InlineData("unknown option '--format'", "flow", "a", "b", "--format", "zarr2")]
    [InlineData("missing SRC", "align-elastic")]
    [InlineData("--interpolation 'bicubic' is not known: expected one of lanczos, lanczos3, cubic, linear, nearest", "align-elastic", "a", "b", "--interpolation", "bicubic")]
    [InlineData("--format 'jpeg' is not known", "align-elastic", "a", "b", "--format", "jpeg")]
    [InlineData("--stride '0' is not a positive integer", "align-elastic", "a", "b", "--stride", "0")]
    [InlineData("--report needs a value", "align-elastic", "a", "b", "--report")]
    [InlineData("--refine 'x' is not a non-negative integer", "align-elastic", "a", "b", "--refine", "x")]
    [InlineData("--k0 'stiff' is not a number of at least 0", "align-elastic", "a", "b", "--k0", "stiff")]
    [InlineData("unknown option '--crop=yes'", "align-elastic", "a", "b", "--crop=yes")]
    public void BadUsageExitsWith2AndShowsTheMessageAndUsage(string message, params string[] args)
    {
        EmAlign.Tests.Volumes.FolderTestFormat.Register();
        var r = CliRun.Of(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"emalign: error: {message}", r.Err);
        Assert.Contains("usage: emalign", r.Err);
        Assert.Empty(r.Out);
    }
}
