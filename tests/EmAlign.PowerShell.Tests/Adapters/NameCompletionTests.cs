using EmAlign.FrontEnds;

namespace EmAlign.PowerShell.Tests.Adapters;

public class NameCompletionTests
{
    [Theory]
    [InlineData("", new[] { "none", "zlib", "blosc-lz4", "blosc-zlib" })]
    [InlineData("blosc", new[] { "blosc-lz4", "blosc-zlib" })]
    [InlineData("'Z", new[] { "zlib" })]
    [InlineData("\"blosc-z\"", new[] { "blosc-zlib" })]
    [InlineData("x", new string[0])]
    public void MatchesByPrefixIgnoringCaseAndQuotes(string typed, string[] expected) =>
        Assert.Equal(expected, NameCompletion.Matching(["none", "zlib", "blosc-lz4", "blosc-zlib"], typed));
}
