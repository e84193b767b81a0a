using System.Management.Automation;
using EmAlign.Diagnostics;
using EmAlign.FrontEnds;

namespace EmAlign.PowerShell.Tests.Adapters;

public class FrontEndFailureTests
{
    [Fact]
    public void CategoriesHaveTheNamesAndValuesOfPowerShellsErrorCategory()
    {
        foreach (var c in Enum.GetValues<FailureCategory>())
            Assert.Equal((int)c, (int)Enum.Parse<ErrorCategory>(c.ToString()));
    }

    public static TheoryData<Exception, string, string, bool> Cases() => new()
    {
        { new OutputExistsException("/out.zarr"), "OutputExists", "ResourceExists", false },
        { new VolumeNotFoundException("missing", "/in.zarr"), "VolumeNotFound", "ObjectNotFound", false },
        { new NoDataFoundException("/in.zarr"), "NoDataFound", "ObjectNotFound", false },
        { new InvalidVolumeException("bad metadata", "/in.zarr"), "InvalidVolume", "InvalidData", false },
        { new CorruptDataException("truncated chunk", "/in.zarr/0.0.0"), "CorruptData", "InvalidData", false },
        { new EmAlignException("Unknown codec 'x'", "codec"), "InvalidArgument", "InvalidArgument", true },
        { new ArgumentOutOfRangeException("options", "Level 9 does not exist"), "InvalidArgument", "InvalidArgument", true },
        { new UnauthorizedAccessException("denied"), "AccessDenied", "PermissionDenied", false },
        { new DirectoryNotFoundException("no dir"), "PathNotFound", "ObjectNotFound", false },
        { new IOException("disk full"), "IOError", "ResourceUnavailable", false },
        { new OperationCanceledException(), "Cancelled", "OperationStopped", true },
        { new NullReferenceException("oops"), "UnexpectedError", "NotSpecified", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MapsEngineExceptionsToStableIdsAndCategories(Exception e, string id, string category, bool stops)
    {
        var f = FrontEndFailure.From(e, "input");
        Assert.Equal(id, f.ErrorId);
        Assert.Equal(category, f.Category.ToString());
        Assert.Equal(stops, f.StopsCommand);
        Assert.Same(e, f.Exception);
        if (!f.IsCancellation) Assert.Contains(e.Message, f.Message);
    }

    [Fact]
    public void PathErrorsTargetTheirPathOthersTheInput()
    {
        Assert.Equal("/out.zarr", FrontEndFailure.From(new OutputExistsException("/out.zarr"), "view").Target);
        Assert.Equal("/in.zarr", FrontEndFailure.From(new VolumeNotFoundException("m", "/in.zarr"), "view").Target);
        Assert.Equal("view", FrontEndFailure.From(new EmAlignException("bad level", "level"), "view").Target);
        Assert.Equal("level", FrontEndFailure.From(new EmAlignException("bad level", "level"), null).Target);
        Assert.Equal("view", FrontEndFailure.From(new IOException("x"), "view").Target);
        Assert.NotNull(FrontEndFailure.From(new OutputExistsException("/o"), null).RecommendedAction);
    }

    [Fact]
    public void UnwrapsParallelFailuresPreferringEngineErrors()
    {
        var corrupt = new CorruptDataException("bad chunk", "/c");
        var nested = new AggregateException(new OperationCanceledException(), new AggregateException(corrupt));
        var f = FrontEndFailure.From(nested, "in");
        Assert.Same(corrupt, f.Exception);
        Assert.Equal("CorruptData", f.ErrorId);
        Assert.True(FrontEndFailure.From(new AggregateException(new OperationCanceledException()), "in").IsCancellation);
    }

    [Fact]
    public void UnexpectedErrorsKeepTheirTypeInTheMessage() =>
        Assert.StartsWith("NullReferenceException: ", FrontEndFailure.From(new NullReferenceException("x"), null).Message);
}
